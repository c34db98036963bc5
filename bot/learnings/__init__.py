"""Learnings: the knowledge base in content/ (concepts, challenges, tips), its index, search.

The Discord side imports what it needs from here.
"""

from bot.learnings.service import (
    Found,
    IndexPage,
    LearningsService,
    SearchPage,
    Suggestions,
)

__all__ = [
    "Found",
    "IndexPage",
    "LearningsService",
    "SearchPage",
    "Suggestions",
]
