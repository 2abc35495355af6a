"""Widgets and item models. Only the GUI thread touches them."""
