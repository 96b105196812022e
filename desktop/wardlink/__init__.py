"""Wardlink: secure, offline-first team communication for care teams."""

__version__ = "0.1.0.dev0"
