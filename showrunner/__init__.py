"""Showrunner: premise and episode count in, a consistent animated series out."""

__version__ = "0.1.0"
