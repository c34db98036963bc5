"""A private PostgreSQL server for the tests: started in a temporary folder, stopped after.

`PrivateServer` runs Debian's (or any) PostgreSQL binaries: `initdb` into a temporary folder
(as the `postgres` user when run as root: initdb refuses root), the server listening on
127.0.0.1 only, on a free port, with `fsync=off` (a test database is thrown away). Each test
database is a copy of one migrated template (`CREATE DATABASE ... TEMPLATE`), so a test gets
a fresh, migrated database in a few milliseconds.

`python -m pytest --database=postgresql ...` runs the tests' databases on such a server
(tests/conftest.py); `python -m tests.postgres -- COMMAND...` runs any command with one started
and its address in NEXUS_TEST_POSTGRES (e.g. `python -m bench --database "$NEXUS_TEST_POSTGRES"`).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

SERVER_ENV = "NEXUS_TEST_POSTGRES"  # the address of a server already started for the tests
START_TIMEOUT_S = 30.0
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "400",
    "shared_buffers": "64MB",
    "unix_socket_directories": "",
}


class ServerUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def binaries() -> Path:
    """The folder of `initdb`, `pg_ctl` and `postgres`: $PG_BIN, else the newest Debian
    version's, else the ones on PATH. ServerUnavailable when there are none."""
    candidates: list[Path] = []
    if os.environ.get("PG_BIN"):
        candidates.append(Path(os.environ["PG_BIN"]))
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = sorted(
            (p for p in debian.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)
        )
        candidates += [p / "bin" for p in reversed(versions)]
    on_path = shutil.which("postgres")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if all((folder / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    raise ServerUnavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found: install Debian's "
        "`postgresql` package or set PG_BIN"
    )


def free_port() -> int:
    """A TCP port nothing listens on at 127.0.0.1, just now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(argv: list[str]) -> list[str]:
    """`argv` run as `postgres` when we are root (the server refuses to run as root)."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


class PrivateServer:
    """One PostgreSQL server in a temporary folder, for as long as the object is started."""

    def __init__(self) -> None:
        self.bin = binaries()
        self.port = 0
        self.folder: Path | None = None

    @property
    def url(self) -> str:
        """The server's `postgres` database, as an asyncpg SQLAlchemy URL."""
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        """One database of the server, as an asyncpg SQLAlchemy URL."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"

    def start(self) -> PrivateServer:
        """initdb, then start the server and wait until it accepts connections."""
        self.folder = Path(tempfile.mkdtemp(prefix="nexus-pg-"))
        data = self.folder / "data"
        data.mkdir()
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            for path in (self.folder, data):
                os.chown(path, user.pw_uid, user.pw_gid)
        subprocess.run(
            _as_server_user(
                [
                    str(self.bin / "initdb"),
                    "--pgdata",
                    str(data),
                    "--username=postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )
        self.port = free_port()
        options = " ".join(f"-c {k}={v}" if v else f"-c {k}=''" for k, v in SETTINGS.items())
        subprocess.run(
            _as_server_user(
                [
                    str(self.bin / "pg_ctl"),
                    "--pgdata",
                    str(data),
                    "--log",
                    str(self.folder / "server.log"),
                    "--options",
                    f"-p {self.port} {options}",
                    "--wait",
                    f"--timeout={int(START_TIMEOUT_S)}",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        return self

    def log(self) -> str:
        """What the server logged (for a failure's message)."""
        if self.folder is None:
            return ""
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop the server at once and remove its folder."""
        if self.folder is None:
            return
        data = self.folder / "data"
        with contextlib.suppress(subprocess.CalledProcessError):
            subprocess.run(
                _as_server_user(
                    [str(self.bin / "pg_ctl"), "--pgdata", str(data), "--mode=immediate", "stop"]
                ),
                check=True,
                capture_output=True,
                timeout=START_TIMEOUT_S,
            )
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None


@contextlib.contextmanager
def running() -> Iterator[str]:
    """The address of a server for the block: the one in NEXUS_TEST_POSTGRES when set, else a
    private one, started now and stopped after."""
    given = os.environ.get(SERVER_ENV)
    if given:
        yield given
        return
    server = PrivateServer().start()
    try:
        yield server.url
    finally:
        server.stop()


def with_database(server_url: str, name: str) -> str:
    """The address of database `name` on the server of `server_url`."""
    from sqlalchemy.engine import make_url

    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def new_name(prefix: str = "nexus_test") -> str:
    """A database name no other test uses."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m tests.postgres -- COMMAND...`: COMMAND with a private server started, its
    address in NEXUS_TEST_POSTGRES; the server is stopped afterwards, also on failure."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print("usage: python -m tests.postgres -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    started = time.monotonic()
    with running() as url:
        print(f"PostgreSQL at {url} ({time.monotonic() - started:.1f} s to start)", flush=True)
        return subprocess.run(args, env={**os.environ, SERVER_ENV: url}, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())


class PostgresDatabases:
    """Databases for the tests on one server: each a copy of one migrated template."""

    TEMPLATE = "nexus_template"

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self._template_ready = False

    async def _admin(self, sql: str) -> None:
        import asyncpg
        from sqlalchemy.engine import make_url

        url = make_url(self.server_url)
        conn = await asyncpg.connect(
            host=url.host,
            port=url.port,
            user=url.username,
            password=url.password,
            database=url.database or "postgres",
        )
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def _template(self) -> None:
        """The migrated template, made once for the run."""
        if self._template_ready:
            return
        from bot.db.engine import Database

        await self._admin(f"DROP DATABASE IF EXISTS {self.TEMPLATE} WITH (FORCE)")
        await self._admin(f"CREATE DATABASE {self.TEMPLATE}")
        database = Database(with_database(self.server_url, self.TEMPLATE))
        try:
            await database.upgrade()
        finally:
            await database.close()
        self._template_ready = True

    @contextlib.asynccontextmanager
    async def migrated(self) -> AsyncIterator[str]:
        """A new database at the newest revision for the block, dropped afterwards."""
        await self._template()
        async with self.empty(template=self.TEMPLATE) as url:
            yield url

    @contextlib.asynccontextmanager
    async def empty(self, *, template: str = "template0") -> AsyncIterator[str]:
        """A new database (a copy of `template`: empty by default), dropped afterwards."""
        name = new_name()
        await self._admin(f"CREATE DATABASE {name} TEMPLATE {template}")
        try:
            yield with_database(self.server_url, name)
        finally:
            await self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
