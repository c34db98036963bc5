"""The SQLite file under a running bot: claimed while in use, watched for deletion or replacement.

SQLite keeps the file it opened: once `nexus.db` is deleted, or another file is moved or copied
over it, the bot's connections go on writing to the old one, which no later start reads, and
every member is told "posted". So the file's identity (device and inode) is taken when the bot
starts, checked before every write, and the first mismatch stops writes for good, with one ERROR
line for the operator and a clear answer for the member.

A bot also holds a shared lock on `<database>.lock` while it runs (an advisory `flock`, dropped by
the kernel when the process dies). A restore takes it exclusively, so it refuses while any bot
holds the database and no bot starts in the middle of a restore. The lock is on a separate file:
SQLite's own locks on the database file are POSIX locks, which a process loses when it closes
any descriptor of that file.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from bot.errors import NexusError

log = logging.getLogger(__name__)

FILE_LOST = (
    "I can't save anything right now: my database file was removed or replaced while I was "
    "running, so nothing was saved. An admin has to restart me (and restore a backup if the "
    "file is gone)."
)


class DatabaseFileLost(NexusError):
    """The database file is not the one this process opened: writes would be lost."""

    def __init__(self) -> None:
        super().__init__(FILE_LOST)


class DatabaseInUse(RuntimeError):
    """Another process holds the database in a way that forbids this (a bot, or a restore)."""


def lock_path(database: Path) -> Path:
    """The lock file beside the database (`nexus.db` → `nexus.db.lock`)."""
    return database.with_name(f"{database.name}.lock")


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino


class DatabaseFile:
    """One process's view of its database file: its lock and its identity."""

    def __init__(self, path: Path) -> None:
        """Watch `path` (nothing is locked or pinned until `claim` or the first write)."""
        self.path = path
        self.lost = False
        self._pinned: tuple[int, int] | None = None
        self._lock: int | None = None

    def claim(self) -> None:
        """Hold the shared lock for as long as this process uses the database.

        Raises DatabaseInUse while a restore is replacing the file.
        """
        if self._lock is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path(self.path), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DatabaseInUse(
                f"a restore is replacing {self.path}; start the bot again when it has finished"
            ) from None
        self._lock = fd

    def release(self) -> None:
        """Let go of the shared lock."""
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor drops its flock
            self._lock = None

    def pin(self) -> None:
        """Remember which file this process works on (the one at `path` now)."""
        if self._pinned is None:
            self._pinned = _identity(self.path)

    def check(self) -> None:
        """Before a write: raise DatabaseFileLost unless `path` is still the file pinned."""
        if not self.intact():
            raise DatabaseFileLost()

    def intact(self) -> bool:
        """Whether `path` is still the file pinned; the first time it is not, says so in the
        log (ERROR) and refuses every write from then on.
        """
        if self.lost:
            return False
        if self._pinned is None:
            self.pin()  # the first write of a process that did not migrate at start
            return True
        now = _identity(self.path)
        if now == self._pinned:
            return True
        self.lost = True
        log.error(
            "the database file %s was %s while the bot was running; refusing every write "
            "until the bot is restarted (restore a backup first if the data is gone)",
            self.path,
            "deleted" if now is None else "replaced by another file",
        )
        return False


@contextlib.contextmanager
def held_exclusively(database: Path) -> Iterator[None]:
    """Hold the database's lock alone (for a restore); DatabaseInUse while a bot holds it."""
    database.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseInUse(
                f"a running bot is using {database}; stop it first, then restore"
            ) from None
        yield
    finally:
        os.close(fd)
