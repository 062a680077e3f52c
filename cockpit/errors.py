"""Errors that more than one layer raises, kept apart so no layer imports another for them."""

from __future__ import annotations


class ReadOnlyViolation(PermissionError):
    """A mutating call in a read-only session (walkthrough, shadow, status)."""
