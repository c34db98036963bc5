"""Peer Q&A on Discord: /ask, /answer, /accept, /qa and the persistent question buttons."""

from cogs.qa.cog import setup

__all__ = ["setup"]
