"""Server-rendered pages for planners and officers."""
