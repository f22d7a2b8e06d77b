"""The error every door turns into one Vietnamese line for the operator (no pydantic
import here, so the layers that only raise it stay light to import)."""

from __future__ import annotations


class ConfigError(Exception):
    """A configuration value that cannot be used; the message is one line."""
