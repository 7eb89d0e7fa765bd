"""Orchestrix infrastructure: implementations of the core protocols, one package per backend."""
