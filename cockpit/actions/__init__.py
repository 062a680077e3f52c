"""Action kinds, registered by name. ``load_kinds()`` imports every built-in kind."""

from cockpit.actions.base import REGISTRY, ActionKind, KindInfo, Params, register

__all__ = ["REGISTRY", "ActionKind", "KindInfo", "Params", "load_kinds", "register"]


def load_kinds() -> None:
    """Import the modules that register kinds (idempotent, cheap after the first call)."""
    from cockpit.actions import declared, git, manual  # noqa: F401
