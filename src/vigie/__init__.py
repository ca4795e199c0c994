"""Vigie: open-source platform for a connected city."""

__version__ = "0.1.0"
