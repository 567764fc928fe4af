"""Import a package's module when the package exists yet (packages are filled in issue by issue)."""
from __future__ import annotations

import importlib
from types import ModuleType


def import_optional(name: str) -> ModuleType | None:
    """The module, or None when it or one of its parent packages does not exist. A missing import
    *inside* an existing module is a bug and is raised, never hidden."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        parts = name.split(".")
        if exc.name in {".".join(parts[:i]) for i in range(1, len(parts) + 1)}:
            return None
        raise
