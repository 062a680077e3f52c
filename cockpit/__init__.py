"""cockpit: a release cockpit. This package is the headless core; it never imports textual."""

__version__ = "0.1.0"
