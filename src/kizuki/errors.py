"""Kizuki's exceptions: one tree under :class:`KizukiError`.

::

    KizukiError
     ├── ConfigError        a setting, config file or journey map is invalid
     ├── SchemaError        a table or column does not match the canonical schema
     ├── StoreError         a store URL cannot be opened, or a backend cannot do what was asked
     ├── IngestError        a whole file cannot be read (bad rows go to quarantine instead)
     ├── NotFoundError      a file, table, customer or model does not exist
     └── NotFittedError     a model was used before ``fit`` (also a scikit-learn NotFittedError)

The CLI prints the message of any of these on one line and exits 1; ``--debug`` shows the
traceback. Messages say what was wrong, show the value, and say what to do.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "IngestError",
    "KizukiError",
    "NotFittedError",
    "NotFoundError",
    "SchemaError",
    "StoreError",
]


class KizukiError(Exception):
    """Root of every error Kizuki raises on purpose."""


class ConfigError(KizukiError):
    """A setting, config file or journey map is invalid."""


class SchemaError(KizukiError):
    """A table or column does not match the canonical schema."""


class StoreError(KizukiError):
    """A store cannot be opened, or its backend cannot do what was asked."""


class IngestError(KizukiError):
    """A whole input file cannot be read; single bad rows are quarantined instead."""


class NotFoundError(KizukiError):
    """A file, table, customer or model does not exist."""


class NotFittedError(KizukiError, ValueError, AttributeError):
    """A model was used before ``fit``; compatible with scikit-learn's NotFittedError."""
