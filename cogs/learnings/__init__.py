"""/concept, /challenge, /tips and /search: the knowledge base on Discord."""

from cogs.learnings.cog import setup

__all__ = ["setup"]
