"""Callbacks (回访, 004 D14; 001 Doc2; 003): the return visit after a handled case."""
