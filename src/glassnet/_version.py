"""The version of glassnet, on the ground floor so that any module can name it."""

__version__ = "0.1.0"
