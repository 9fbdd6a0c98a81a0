"""Kizuki (気づき): find silent customers, measure what they cost, and act on it.

``kizuki.open(url)`` returns the core object, :class:`Kizuki`, whose methods are the whole
public surface; :func:`load_settings` makes the :class:`Settings` it runs with.
"""

from kizuki.core import Kizuki, RunRecord, open
from kizuki.errors import KizukiError
from kizuki.settings import Settings, load_settings

__version__ = "0.1.0"

__all__ = [
    "Kizuki",
    "KizukiError",
    "RunRecord",
    "Settings",
    "__version__",
    "load_settings",
    "open",
]
