"""Nexus: the ProDev backend-engineering community's Discord bot."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("nexus-bot")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
