"""Hearth: a private, offline desktop assistant."""

__version__ = "0.1.0"
APP_NAME = "Hearth"
