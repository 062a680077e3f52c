"""The sandbox: a local GitHub (API + git smart HTTP) and announcement services.

It is the embedded default (``cockpit demo``) and the test world. See
``cockpit.sandbox.inprocess`` for a sandbox on a thread of this process (the demo's;
``cockpit.sandbox.testing`` wraps it for tests), and
``cockpit.sandbox.cli`` for ``cockpit sandbox``. Importing this package costs nothing:
every command's parser imports ``cockpit.sandbox.cli`` for the ``sandbox`` verb's flags,
so the world's seed and the server modules load on first use.
"""
