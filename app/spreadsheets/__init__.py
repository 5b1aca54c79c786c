"""Monthly progress spreadsheets: a park's template out, filled workbooks and CSV files in."""
