from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, ConfigError, load_settings
from tests.helpers import CONTENT, TOKEN


def env(**values: str) -> dict[str, str]:
    return {"DISCORD_TOKEN": TOKEN, "CONTENT_DIR": str(CONTENT), **values}


def test_defaults() -> None:
    settings = load_settings(env(), env_file=None)
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.dev_guild_id is None
    assert settings.log_level == "INFO"
    assert settings.default_timezone == "UTC"
    assert settings.start_retry_seconds == 300.0


def test_token_never_in_repr() -> None:
    settings = load_settings(env(), env_file=None)
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)


@pytest.mark.parametrize(
    ("values", "variable", "words"),
    [
        ({"DISCORD_TOKEN": ""}, "DISCORD_TOKEN", "missing"),
        ({"DISCORD_TOKEN": "has a space in it, not a token"}, "DISCORD_TOKEN", "token"),
        ({"DEV_GUILD_ID": "my-server"}, "DEV_GUILD_ID", "Discord id"),
        ({"OWNER_IDS": "123456789012345678,abc"}, "OWNER_IDS", "Discord id"),
        ({"DEFAULT_TIMEZONE": "Mars/Olympus"}, "DEFAULT_TIMEZONE", "IANA"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL", "URL"),
        ({"DATABASE_URL": "mysql://u:p@h/db"}, "DATABASE_URL", "driver"),
        ({"DATABASE_URL": "postgresql+psycopg2://u:p@h/db"}, "DATABASE_URL", "driver"),
        ({"DATABASE_URL": "postgresql+asyncpg://u:p@h"}, "DATABASE_URL", "a database"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL", "one of"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT", "text, json"),
        ({"SYNC_COMMANDS": "maybe"}, "SYNC_COMMANDS", "true or false"),
        ({"CONTENT_DIR": "/nonexistent/folder"}, "CONTENT_DIR", "folder"),
        ({"START_RETRY_SECONDS": "5 minutes"}, "START_RETRY_SECONDS", "number of seconds"),
    ],
)
def test_bad_values_name_the_variable(values: dict[str, str], variable: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env(**values), env_file=None)
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")
    assert words in str(caught.value)


def test_accepts_postgresql() -> None:
    url = "postgresql+asyncpg://nexus:secret@db.internal:5432/nexus"
    assert load_settings(env(DATABASE_URL=url), env_file=None).database_url == url


def test_parses_ids_and_flags() -> None:
    settings = load_settings(
        env(
            DEV_GUILD_ID="123456789012345678",
            OWNER_IDS="123456789012345678, 223456789012345678",
            DEFAULT_TIMEZONE="Africa/Nairobi",
            SYNC_COMMANDS="false",
            LOG_LEVEL="debug",
            LOG_FORMAT="JSON",
            START_RETRY_SECONDS="45",
        ),
        env_file=None,
    )
    assert settings.start_retry_seconds == 45.0
    assert settings.dev_guild_id == 123456789012345678
    assert settings.owner_ids == {123456789012345678, 223456789012345678}
    assert settings.default_timezone == "Africa/Nairobi"
    assert settings.sync_commands is False
    assert settings.log_level == "DEBUG"
    assert settings.log_format == "json"


def test_dotenv_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"DISCORD_TOKEN={TOKEN}\nLOG_LEVEL=WARNING\nCONTENT_DIR={CONTENT}\n")
    settings = load_settings({"LOG_LEVEL": "ERROR"}, env_file=dotenv)
    assert settings.discord_token == TOKEN
    assert settings.log_level == "ERROR"


def test_settings_are_immutable() -> None:
    settings = load_settings(env(), env_file=None)
    with pytest.raises(AttributeError):
        settings.log_level = "DEBUG"  # type: ignore[misc]


def test_operator_commands_need_no_token() -> None:
    settings = load_settings({"CONTENT_DIR": str(CONTENT)}, env_file=None, require_token=False)
    assert settings.discord_token == ""


@pytest.mark.parametrize(
    "variable",
    [
        "DEV_GUILD_ID",
        "OWNER_IDS",
        "BACKUP_KEEP",
        "LOG_LEVEL",
        "LOG_FORMAT",
        "DEFAULT_TIMEZONE",
        "SYNC_COMMANDS",
        "CONTENT_DIR",
    ],
)
@pytest.mark.finding("13 secrets echoed or inherited")
def test_a_token_pasted_into_another_setting_is_never_echoed(variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env(**{variable: TOKEN}), env_file=None)
    message = str(caught.value)
    assert caught.value.variable == variable
    for shown in (TOKEN, TOKEN.upper(), TOKEN.lower(), TOKEN[:20], TOKEN[-20:]):
        assert shown not in message
    assert "looks like a bot token" in message


@pytest.mark.parametrize(
    ("token", "told"),
    [
        ("abc", "this value has 1 part"),
        ("abcdefghijklmnopqrstuvwxyz0123456789", "this value has 1 part"),
        ("MTIzNDU2Nzg5MDEyMzQ1Njc4.GxYzAb", "this value has 2 parts"),
        ("MTIzNDU2Nzg5MDEyMzQ1Njc4..test-token-that-is-not-real", "a part is empty"),
        ("MTIzNDU2Nzg5MDEyMzQ1Njc4.GxYz+b/.test-token-that-is-not-real", "'+'"),
        (f"Bot {TOKEN}", "without the 'Bot ' in front"),
        (f'"{TOKEN}"', "without quotes"),
    ],
)
def test_a_malformed_token_is_described_by_the_rule_it_breaks(token: str, told: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env(DISCORD_TOKEN=token), env_file=None)
    message = str(caught.value)
    assert message.startswith("DISCORD_TOKEN: expected a bot token: three parts separated by dots")
    assert told in message
    for part in token.strip('"').removeprefix("Bot ").split("."):
        if len(part) > 3:
            assert part not in message, "the value is never echoed"


def test_a_token_of_three_parts_is_taken() -> None:
    assert load_settings(env(DISCORD_TOKEN="abc.de.fgh"), env_file=None).discord_token == (
        "abc.de.fgh"
    )


def test_not_sharded_by_default() -> None:
    settings = load_settings(env(), env_file=None)
    assert settings.shard_count is None
    assert settings.shards is None
    assert settings.leads


@pytest.mark.parametrize(
    ("values", "shards", "leads"),
    [
        ({"SHARD_COUNT": "2"}, (0, 1), True),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "1"}, (1,), False),
        ({"SHARD_COUNT": "4", "SHARD_IDS": " 3, 0 "}, (0, 3), True),
        ({"SHARD_COUNT": "1", "SHARD_IDS": "0"}, (0,), True),
    ],
)
def test_shards(values: dict[str, str], shards: tuple[int, ...], leads: bool) -> None:
    settings = load_settings(env(**values), env_file=None)
    assert settings.shard_count == int(values["SHARD_COUNT"])
    assert settings.shards == shards
    assert settings.leads is leads


@pytest.mark.parametrize(
    ("values", "variable", "words"),
    [
        ({"SHARD_IDS": "0"}, "SHARD_IDS", "needs SHARD_COUNT"),
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT", "number of shards"),
        ({"SHARD_COUNT": "two"}, "SHARD_COUNT", "number of shards"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "2"}, "SHARD_IDS", "from 0 to 1"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0;1"}, "SHARD_IDS", "comma-separated"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "-1"}, "SHARD_IDS", "comma-separated"),
        ({"SHARD_COUNT": "3", "SHARD_IDS": "1,1"}, "SHARD_IDS", "twice"),
    ],
)
def test_bad_shards_name_the_variable(values: dict[str, str], variable: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env(**values), env_file=None)
    assert caught.value.variable == variable
    assert words in str(caught.value)


def test_a_process_holds_the_servers_of_its_shards() -> None:
    alone = load_settings(env(), env_file=None)
    second = load_settings(env(SHARD_COUNT="2", SHARD_IDS="1"), env_file=None)
    even, odd = 2 << 22, 3 << 22  # the shard is in the id's timestamp: (id >> 22) % count
    assert alone.holds(even)
    assert alone.holds(odd)
    assert not second.holds(even)
    assert second.holds(odd)
