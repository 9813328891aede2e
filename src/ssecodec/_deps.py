"""Friendly errors when an integration's framework is not installed."""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``, or raise ImportError naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"ssecodec.{extra} needs {module!r}: pip install 'ssecodec[{extra}]'"
        ) from exc
