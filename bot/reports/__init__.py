"""Session and event reports: the data model, theme grouping, and renderers for each format."""
