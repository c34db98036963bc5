"""Shared Discord pieces: limits, views, the pager and the interaction helpers every cog uses."""
