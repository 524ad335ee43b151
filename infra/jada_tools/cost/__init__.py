"""Cost: AWS list prices, what a template costs idle and per session."""
