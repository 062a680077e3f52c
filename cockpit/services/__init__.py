"""Clients for the services a release touches (git, GitHub, chat and forums)."""
