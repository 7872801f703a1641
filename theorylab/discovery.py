"""Import every module of a package, so that its decorators register sims, claims, figures."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable


def import_submodules(package: str, skip: Iterable[str] = ()) -> None:
    """Import ``package.<name>`` for each module not starting with ``_`` and not in ``skip``."""
    skip = set(skip)
    pkg = importlib.import_module(package)
    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_") and info.name not in skip:
            importlib.import_module(f"{package}.{info.name}")
