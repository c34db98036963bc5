"""/spec: API specs imported, browsed, noted and followed on Discord."""

from cogs.specs.cog import setup

__all__ = ["setup"]
