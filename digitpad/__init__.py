"""digitpad: draw a digit, watch a neural network read it, retrain it live."""
