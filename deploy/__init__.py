"""Running several copies of the app behind nginx."""
