"""Kizuki (気づき): find silent customers, measure what they cost, and act on it."""

from kizuki.core import Kizuki, open
from kizuki.errors import KizukiError

__version__ = "0.1.0"

__all__ = ["Kizuki", "KizukiError", "__version__", "open"]
