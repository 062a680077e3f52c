"""The Textual UI of the cockpit. It talks to the core only through engine events and a Prompter.

Importing this package is free: the app and its widgets load when ``launch`` runs.
"""
