"""The `playground` subcommand's options (light: `python -m bot` builds its parser on every run)."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_DATABASE = Path("data/playground.db")
DESCRIPTION = (
    "Try Nexus in a terminal: the real bot, its commands and content, against a local fake "
    "Discord on 127.0.0.1 (no account, no token). Type slash commands as in Discord; "
    "`help` at the prompt says the rest."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.add_argument(
        "--script", metavar="FILE", help="run the commands in FILE and print the transcript"
    )
    parser.add_argument(
        "--db",
        metavar="PATH",
        help=f"the playground's SQLite database (default: {DEFAULT_DATABASE})",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="start from an empty temporary database"
    )
    parser.add_argument(
        "--content", metavar="DIR", help="the content folder (default: CONTENT_DIR or ./content)"
    )
