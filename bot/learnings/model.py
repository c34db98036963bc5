"""What a learning is, independent of where it is stored."""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("concept", "challenge", "tip")
FOLDERS = {"concepts": "concept", "challenges": "challenge", "tips": "tip"}

TOPICS: dict[str, str] = {
    "python": "Python",
    "django": "Django",
    "apis": "APIs (REST, DRF, GraphQL)",
    "databases": "Databases",
    "async": "Async & background jobs",
    "caching": "Caching",
    "security": "Auth & security",
    "testing": "Testing",
    "devops": "DevOps & deployment",
    "architecture": "System design",
    "workflow": "Workflow & collaboration",
}


@dataclass(frozen=True, slots=True)
class DocLink:
    """A link to official documentation: its title and address."""

    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Learning:
    """A concept, challenge or tip."""

    slug: str
    kind: str
    title: str
    topic: str
    summary: str
    body: str
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    docs: tuple[DocLink, ...] = ()
    why: str | None = None
    source_path: str = ""
    content_hash: str = field(default="", compare=False)

    @property
    def topic_name(self) -> str:
        """The topic as shown to members ("Async & background jobs")."""
        return TOPICS.get(self.topic, self.topic)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a user may type for this entry: slug, title and aliases."""
        return (self.slug, self.title, *self.aliases)
