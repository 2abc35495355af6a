"""Thin Qt adapters around core functions; each owns one thread."""
