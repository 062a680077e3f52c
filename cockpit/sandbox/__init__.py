"""The sandbox: a local GitHub (API + git smart HTTP) and announcement services.

It is the embedded default (``cockpit demo``) and the test world. See
``cockpit.sandbox.testing`` for the in-process handle tests use, and
``cockpit.sandbox.cli`` for ``cockpit sandbox``. Importing this package is
cheap; the server modules load on first use.
"""

from cockpit.sandbox.seed import INFRA_REPO

__all__ = ["INFRA_REPO"]
