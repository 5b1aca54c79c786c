"""Reviews across the portfolio: the planners' inbox, bulk decisions, the review log."""
