"""`python -m bot`: run Nexus, or an operator task (`db upgrade`, `content check`, ...)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import aiohttp
import discord

from bot.config import ConfigError, Settings, load_settings
from bot.network import (
    EXIT_SETTINGS,
    Endpoint,
    StartFailure,
    gateway_failure,
    http_failure,
    network_failure,
    wait_for_discord,
)

T = TypeVar("T")


def _fail(message: str, status: int) -> int:
    print(f"nexus: {message}", file=sys.stderr)
    return status


def discord_endpoint() -> Endpoint:
    """Where discord.py sends its requests, and the user agent Discord asks bots to send."""
    from bot import __version__

    return Endpoint(
        api=discord.http.Route.BASE,
        user_agent=(
            f"DiscordBot (https://github.com/Rapptz/discord.py {discord.__version__}) "
            f"Nexus/{__version__}"
        ),
    )


async def _until_stopped(work: Awaitable[T], stop: asyncio.Event) -> T | None:
    """What `work` returns, or None when `stop` is set first (`work` is then cancelled)."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.create_task(stop.wait(), name="nexus-stop")
    await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return None
    return task.result()


async def _run(settings: Settings, *, force_sync: bool = False, login_only: bool = False) -> None:
    from bot.client import create_bot

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # Discord answers and takes the token before anything else starts; what may pass by itself
    # (no route, DNS, a Discord outage) is tried again for START_RETRY_SECONDS.
    reached = wait_for_discord(
        discord_endpoint(), settings.discord_token, within=settings.start_retry_seconds
    )
    if await _until_stopped(reached, stop) is None:
        return
    bot = create_bot(settings, force_command_sync=force_sync)
    async with bot:
        if login_only:
            await bot.login(settings.discord_token)
            return
        runner = asyncio.create_task(bot.start(settings.discord_token), name="nexus")
        stopper = asyncio.create_task(stop.wait(), name="nexus-stop")
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            await bot.close()
        else:
            stopper.cancel()
        try:
            await runner
        except AttributeError as exc:
            # discord.py 2.x, when the first connection to the gateway fails: its reconnect
            # reads the connection that never was (`ws` is None) and raises AttributeError
            # while handling what really failed.
            failed = exc.__context__
            if bot.ws is not None or failed is None:
                raise
            raise gateway_failure(
                failed, str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
            ) from None


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """Uvloop's event loop where it is installed (Linux and macOS), else asyncio's (None).

    On it the bot spends less CPU per interaction (bench/README.md). Only the running bot and
    the benchmark's bot use it; the tests and the operator commands keep asyncio's loop.
    """
    try:
        uvloop = importlib.import_module("uvloop")  # not on every platform: no static import
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def _start_failure(exc: BaseException) -> StartFailure | None:
    """What stopped a start on Discord's side or the network's, if that is what it was."""
    host = discord_endpoint().host
    if isinstance(exc, StartFailure):
        return exc
    if isinstance(exc, discord.LoginFailure):
        return http_failure(401, host)
    if isinstance(exc, discord.HTTPException):
        return http_failure(exc.status, host)
    return network_failure(exc, host)


def cmd_run(args: argparse.Namespace, *, force_sync: bool = False, login_only: bool = False) -> int:
    """Run the bot until it is stopped (SIGTERM or Ctrl-C). Exit 2 on bad settings (a token
    Discord refuses included), 3 when Discord cannot be reached, 1 on content problems or a
    database held by another process or that cannot be opened.
    """
    from bot.client import ContentInvalid, DatabaseUnavailable
    from bot.db.file import DatabaseInUse
    from bot.logs import setup_logging

    try:
        settings = load_settings()
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", EXIT_SETTINGS)
    # The settings hold the token now: no process the bot starts (the spec worker) inherits it.
    os.environ.pop("DISCORD_TOKEN", None)
    setup_logging(settings.log_level, settings.discord_token, fmt=settings.log_format)
    try:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(_run(settings, force_sync=force_sync, login_only=login_only))
    except (DatabaseInUse, DatabaseUnavailable) as exc:
        return _fail(str(exc), 1)
    except ContentInvalid as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return _fail(f"content/ has {len(exc.problems)} problem(s); fix them and start again", 1)
    except (StartFailure, discord.DiscordException, aiohttp.ClientError, TimeoutError) as exc:
        failure = _start_failure(exc)
        if failure is None:
            raise
        return _fail(str(failure), failure.status)
    return 0


def cmd_sync_commands(args: argparse.Namespace) -> int:
    """Log in, register the slash commands with Discord (even unchanged), and stop."""
    return cmd_run(args, force_sync=True, login_only=True)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Bring the database schema to the newest migration."""
    from bot.db.engine import Database
    from bot.db.migrate import current_revision

    try:
        settings = load_settings(require_token=False)
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", 2)

    async def upgrade() -> str | None:
        db = Database(settings.database_url)
        try:
            await db.upgrade()
            return await current_revision(db.engine)
        finally:
            await db.close()

    print(f"database at revision {asyncio.run(upgrade())}")
    return 0


def cmd_db_copy(args: argparse.Namespace) -> int:
    """Copy every row of the database into another (e.g. SQLite to PostgreSQL), index it for
    search there, and check it; exit 2 when it cannot start, 1 when it does not come out whole.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db.copy import CopyError, copy_database, describe

    try:
        source = args.database_url or load_settings(require_token=False).database_url
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", 2)
    try:  # the target is checked as DATABASE_URL is
        target = load_settings(
            {"DATABASE_URL": args.to}, env_file=None, require_token=False
        ).database_url
    except ConfigError as exc:
        return _fail(f"--to: {exc.expected}", 2)

    def say(line: str) -> None:
        print(line, flush=True)

    say(f"copying {describe(source)} to {describe(target)}")
    try:
        done = asyncio.run(copy_database(source, target, force=args.force, progress=say))
    except CopyError as exc:
        return _fail(f"copy failed: {exc}", exc.status)
    except (OSError, SQLAlchemyError) as exc:
        said = " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]
        return _fail(
            f"copy failed: a database could not be reached or refused ({said}): check the "
            "addresses, that the server runs and that the database exists (CREATE DATABASE)",
            1,
        )
    print(done.table())
    print(
        f"copied {done.rows:,} rows in {done.seconds:.1f} s; {done.indexed:,} learnings and "
        f"questions indexed for search, "
        f"and search answers ({', '.join(repr(s) for s in done.searched) or 'nothing to search'})"
    )
    return 0


def cmd_content_check(args: argparse.Namespace) -> int:
    """Check content/ (or --dir): one line per problem, exit 1 when there is any."""
    from cogs.learnings.content import check_content

    root = Path(args.dir) if args.dir else None
    if root is None:
        try:
            root = load_settings(require_token=False).content_dir
        except ConfigError as exc:
            return _fail(f"configuration error: {exc}", 2)
    report = check_content(root)
    for problem in report.problems:
        print(problem)
    counts: dict[str, int] = {}
    for entry in report.learnings:
        counts[entry.kind] = counts.get(entry.kind, 0) + 1
    summary = ", ".join(f"{counts.get(k, 0)} {k}s" for k in ("concept", "challenge", "tip"))
    if report.problems:
        print(f"{len(report.problems)} problem(s) in {root} ({summary})", file=sys.stderr)
        return 1
    print(f"content OK: {summary}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check what a start needs, one line each (✔, ✖ or –); exit 1 when any check fails."""
    from bot.doctor import diagnose
    from cogs.learnings.content import check_content

    async def checks() -> bool:
        healthy = True
        endpoint = None if args.offline else discord_endpoint()
        async for check in diagnose(check_content, endpoint):
            print(check, flush=True)
            healthy = healthy and check.ok is not False
        return healthy

    return 0 if asyncio.run(checks()) else 1


def cmd_health(args: argparse.Namespace) -> int:
    """The container health check: exit 0 while the bot's heartbeat file is fresh."""
    try:
        settings = load_settings(require_token=False)
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", 2)
    try:
        age = time.time() - settings.health_file.stat().st_mtime
    except FileNotFoundError:
        return _fail("unhealthy: no heartbeat yet", 1)
    if age > args.max_age:
        return _fail(f"unhealthy: last heartbeat {age:.0f} s ago", 1)
    print(f"healthy: last heartbeat {age:.0f} s ago")
    return 0


def _copy(args: argparse.Namespace, what: str, copy: Callable[[str, Path], str]) -> int:
    """`copy(database URL, PATH)` for backup and restore, and what it says done; exit 2 on bad
    settings or a missing PostgreSQL client program, 1 when the copy fails.
    """
    from bot.backup import BackupError, ToolMissing

    try:
        database_url = args.database_url or load_settings(require_token=False).database_url
        done = copy(database_url, Path(args.path))
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", 2)
    except ToolMissing as exc:
        return _fail(f"{what} not made: {exc}", 2)
    except BackupError as exc:
        return _fail(f"{what} failed: {exc}", 1)
    print(done)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """Copy the database to PATH while the bot may be running (SQLite's backup API, or
    pg_dump for PostgreSQL).
    """
    from bot.backup import backup

    def copy(database_url: str, path: Path) -> str:
        done = backup(database_url, path, force=args.force)
        return f"backup written to {done.path} ({done.size_bytes} bytes, {done.tables} tables)"

    return _copy(args, "backup", copy)


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace the database with a backup (the bot must be stopped)."""
    from bot.backup import restore

    def copy(database_url: str, path: Path) -> str:
        done = restore(path, database_url, force=args.force)
        return f"restored {args.path} ({done.tables} tables); start the bot again"

    return _copy(args, "restore", copy)


def cmd_spec_check(args: argparse.Namespace) -> int:
    """Print what changes from one document to another (Markdown, for a pull request); exit 1
    when a change is as severe as --fail-on, 2 when a document cannot be read. No bot needed.
    """
    from bot.errors import BadInput
    from bot.specs.changelog import compare, markdown

    documents = []
    for name in (args.old, args.new):
        try:
            documents.append((Path(name).read_bytes(), Path(name).name))
        except OSError as exc:
            return _fail(f"cannot read {name}: {exc.strerror or exc}", 2)
    try:
        changelog = compare(*documents[0], *documents[1])
    except BadInput as exc:
        return _fail(exc.message, 2)
    print(markdown(changelog), end="")
    return 1 if changelog.fails(args.fail_on) else 0


def cmd_spec_push(args: argparse.Namespace) -> int:
    """Push a document to a bot's push endpoint as a spec's next version (CI; the token from
    NEXUS_SPEC_TOKEN): exit 1 when the bot refuses it, 2 when it cannot be pushed.
    """
    from bot.specs.ci import push

    return push(args.file, args.spec, args.url, args.version)


def cmd_playground(args: argparse.Namespace) -> int:
    """Try Nexus in a terminal: the real bot against the local Discord."""
    from localdiscord.playground.app import run

    return run(args)


def cmd_no_playground(args: argparse.Namespace) -> int:
    """The playground was not installed: say where it is."""
    return _fail(
        "the playground is a development tool and is not part of this install: run it from "
        "a source checkout (README, Try it), or build the image that has it "
        "(docker build --target playground -t nexus-playground . && "
        "docker run -it --rm nexus-playground)",
        2,
    )


def build_parser() -> argparse.ArgumentParser:
    """The `python -m bot` command line: the bot by default, operator commands beside it."""
    parser = argparse.ArgumentParser(prog="nexus", description="Nexus, the ProDev community bot.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)").set_defaults(func=cmd_run)
    sub.add_parser(
        "sync-commands", help="register the slash commands with Discord now"
    ).set_defaults(func=cmd_sync_commands)
    db = sub.add_parser("db", help="database tasks").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="apply pending migrations").set_defaults(func=cmd_db_upgrade)
    copy_db = db.add_parser(
        "copy",
        help="copy every row into another database (e.g. SQLite to PostgreSQL) and check it",
    )
    copy_db.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="the database to fill, e.g. postgresql+asyncpg://nexus:secret@db/nexus",
    )
    copy_db.add_argument(
        "--force", action="store_true", help="replace what the target holds (refused otherwise)"
    )
    copy_db.add_argument("--database-url", help="the database to copy (default: DATABASE_URL)")
    copy_db.set_defaults(func=cmd_db_copy)
    content = sub.add_parser("content", help="content tasks").add_subparsers(
        dest="content_command", required=True
    )
    check = content.add_parser("check", help="validate every file in content/")
    check.add_argument("--dir", help="the content folder (default: CONTENT_DIR or ./content)")
    check.set_defaults(func=cmd_content_check)
    health = sub.add_parser("health", help="exit 0 when the running bot's heartbeat is fresh")
    health.add_argument("--max-age", type=float, default=120.0, help="seconds (default 120)")
    health.set_defaults(func=cmd_health)
    doctor = sub.add_parser(
        "doctor", help="check the settings, database, content and Discord, one line each"
    )
    doctor.add_argument("--offline", action="store_true", help="do not ask Discord")
    doctor.set_defaults(func=cmd_doctor)
    spec = sub.add_parser("spec", help="API-spec tasks").add_subparsers(
        dest="spec_command", required=True
    )
    compare = spec.add_parser(
        "check", help="the changes from OLD to NEW as Markdown; exit 1 on --fail-on changes"
    )
    compare.add_argument("old", help="the document as it is (OpenAPI/Swagger, JSON or YAML)")
    compare.add_argument("new", help="the document as it would become")
    compare.add_argument(
        "--fail-on",
        choices=("breaking", "warning", "never"),
        default="breaking",
        help="exit 1 when a change is this severe or more (default: breaking)",
    )
    compare.set_defaults(func=cmd_spec_check)
    pushing = spec.add_parser(
        "push", help="push FILE to the bot as the spec's next version (token: NEXUS_SPEC_TOKEN)"
    )
    pushing.add_argument("file", help="the OpenAPI/Swagger document, JSON or YAML")
    pushing.add_argument("--spec", required=True, help="the spec's name, e.g. bookings-api")
    pushing.add_argument("--version", help="a label for the version (default: info.version)")
    pushing.add_argument(
        "--url", required=True, help="the bot's push address, e.g. https://nexus.example.com"
    )
    pushing.set_defaults(func=cmd_spec_push)
    # backup and restore: the name, its function, its help, PATH's and --force's
    copies = (
        (
            "backup",
            cmd_backup,
            "copy the database to PATH while the bot runs (SQLite's backup API; pg_dump for "
            "PostgreSQL)",
            "the file to write, e.g. backups/nexus-2026-11-23.db (.dump for PostgreSQL)",
            "overwrite PATH if it exists",
        ),
        (
            "restore",
            cmd_restore,
            "replace the database by the backup at PATH (stop the bot first)",
            "a file written by `backup`",
            "replace the existing database",
        ),
    )
    for name, func, about, path_help, force_help in copies:
        copy = sub.add_parser(name, help=about)
        copy.add_argument("path", help=path_help)
        copy.add_argument("--force", action="store_true", help=force_help)
        copy.add_argument("--database-url", help="default: DATABASE_URL")
        copy.set_defaults(func=func)
    playground = sub.add_parser(
        "playground", help="try Nexus in a terminal: the real bot on a local fake Discord"
    )
    try:
        from localdiscord.playground.cli import add_arguments
    except ImportError:  # an install without the development tools, like the Docker image
        playground.set_defaults(func=cmd_no_playground)
        return parser
    add_arguments(playground)
    playground.set_defaults(func=cmd_playground)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command named on the command line; its exit status."""
    args = build_parser().parse_args(argv)
    func = getattr(args, "func", cmd_run)
    return int(func(args))


if __name__ == "__main__":
    sys.exit(main())
