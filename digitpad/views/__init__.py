"""What the page shows, one module per tab: readings, runs, weights and scores in, HTML and RGB
images out. Pure functions, so each picture can be checked without a server."""
