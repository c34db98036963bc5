"""METRICS_PORT, METRICS_HOST and SENTRY_DSN: off by default, loopback by default, clear
errors that never echo a secret."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings
from tests.helpers import CONTENT, TOKEN

DSN = "https://0123456789abcdef0123456789abcdef@o123.ingest.sentry.io/4504"


def env(**values: str) -> dict[str, str]:
    return {"DISCORD_TOKEN": TOKEN, "CONTENT_DIR": str(CONTENT), **values}


def test_metrics_and_error_reports_are_off_by_default() -> None:
    settings = load_settings(env(), env_file=None)
    assert settings.metrics_port is None
    assert settings.metrics_host == "127.0.0.1"
    assert settings.sentry_dsn is None


def test_set_they_are_read() -> None:
    settings = load_settings(
        env(METRICS_PORT="9464", METRICS_HOST="0.0.0.0", SENTRY_DSN=DSN),
        env_file=None,
    )
    assert settings.metrics_port == 9464
    assert settings.metrics_host == "0.0.0.0"
    assert settings.sentry_dsn == DSN
    assert DSN not in repr(settings)
    for host in ("::1", "metrics.internal", "localhost"):
        assert load_settings(env(METRICS_HOST=host), env_file=None).metrics_host == host


@pytest.mark.parametrize(
    ("values", "variable", "words"),
    [
        ({"METRICS_PORT": "nine"}, "METRICS_PORT", "port number (1-65535)"),
        ({"METRICS_PORT": "0"}, "METRICS_PORT", "port number (1-65535)"),
        ({"METRICS_PORT": "65536"}, "METRICS_PORT", "port number (1-65535)"),
        ({"METRICS_PORT": "-1"}, "METRICS_PORT", "port number (1-65535)"),
        ({"METRICS_HOST": "not a host"}, "METRICS_HOST", "address to listen on"),
        ({"METRICS_HOST": "http://127.0.0.1"}, "METRICS_HOST", "address to listen on"),
        ({"SENTRY_DSN": "yes"}, "SENTRY_DSN", "Sentry DSN"),
        ({"SENTRY_DSN": "https://o123.ingest.sentry.io/4504"}, "SENTRY_DSN", "Sentry DSN"),
        ({"SENTRY_DSN": "ftp://key@o123.ingest.sentry.io/4504"}, "SENTRY_DSN", "Sentry DSN"),
        ({"SENTRY_DSN": "https://key@o123.ingest.sentry.io/"}, "SENTRY_DSN", "Sentry DSN"),
        ({"SENTRY_DSN": "https://key@host:99999/1"}, "SENTRY_DSN", "Sentry DSN"),
    ],
)
def test_bad_values_name_the_variable(values: dict[str, str], variable: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env(**values), env_file=None)
    assert caught.value.variable == variable
    assert words in str(caught.value)


def test_a_dsn_with_a_mistake_is_not_quoted_back() -> None:
    broken = DSN.replace("/4504", "/project")
    with pytest.raises(ConfigError) as caught:
        load_settings(env(SENTRY_DSN=broken), env_file=None)
    assert "0123456789abcdef" not in str(caught.value)


@pytest.mark.parametrize("variable", ["METRICS_PORT", "METRICS_HOST", "SENTRY_DSN"])
def test_a_token_pasted_here_is_never_echoed(variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env(**{variable: TOKEN}), env_file=None)
    message = str(caught.value)
    assert caught.value.variable == variable
    for shown in (TOKEN, TOKEN[:20], TOKEN[-20:]):
        assert shown not in message
