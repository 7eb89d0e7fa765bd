"""Orchestrix core: protocols and pure-Python building blocks, free of I/O libraries."""
