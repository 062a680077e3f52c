"""Widgets of the main screen: checklist, explanation pane, buffered log pane, header."""
