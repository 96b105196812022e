"""The Wardlink record server (FastAPI + SQLAlchemy Core). Imports `wardlink.core` only."""

__version__ = "0.1.0.dev0"
