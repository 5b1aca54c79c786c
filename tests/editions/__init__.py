"""Editions of the library: the plan's appendix and the batches added after it."""
