"""/dailytip: each server's tip of the day, and the scheduler that posts it."""

from cogs.dailytip.cog import setup

__all__ = ["setup"]
