"""Data sources: prices (and, from other modules, transactions, text, 2-D toy sets)."""
