"""Action kinds, registered by name. ``load_kinds()`` imports every built-in kind."""

import importlib
import pkgutil

from cockpit.actions.base import REGISTRY, ActionKind, KindInfo, Params, register, reversibility_of

__all__ = ["REGISTRY", "ActionKind", "KindInfo", "Params", "load_kinds", "register",
           "reversibility_of"]

_loaded = False


def load_kinds() -> None:
    """Import every module of this package (each registers its kinds); cheap after the first."""
    global _loaded
    if _loaded:
        return
    for module in pkgutil.iter_modules(__path__):
        if module.name != "base":
            importlib.import_module(f"cockpit.actions.{module.name}")
    _loaded = True
