"""The pieces of spec pushes that need no bot: HTTP_PORT and HTTP_HOST, the per-token limit,
the tokens' shape and hash, and the answer CI prints."""

from __future__ import annotations

import hashlib
import shlex

import pytest
import yaml

from bot.__main__ import build_parser
from bot.config import ConfigError, load_settings
from bot.specs.ci import push_url, summary
from bot.specs.push import PushLimiter, bearer
from bot.specs.tokens import TOKEN_RE, new_token, token_hash
from tests.helpers import CONTENT, REPO, TOKEN


def env(**values: str) -> dict[str, str]:
    return {"DISCORD_TOKEN": TOKEN, "CONTENT_DIR": str(CONTENT), **values}


def test_the_push_endpoint_is_off_by_default_and_on_the_loopback_address() -> None:
    settings = load_settings(env(), env_file=None)
    assert (settings.http_port, settings.http_host) == (None, "127.0.0.1")
    on = load_settings(env(HTTP_PORT="8081", HTTP_HOST="0.0.0.0"), env_file=None)
    assert (on.http_port, on.http_host) == (8081, "0.0.0.0")


@pytest.mark.parametrize(
    ("values", "variable", "words"),
    [
        ({"HTTP_PORT": "eighty"}, "HTTP_PORT", "port number (1-65535)"),
        ({"HTTP_PORT": "70000"}, "HTTP_PORT", "port number (1-65535)"),
        ({"HTTP_HOST": "not a host"}, "HTTP_HOST", "address to listen on"),
        ({"HTTP_PORT": "9464", "METRICS_PORT": "9464"}, "HTTP_PORT", "other than METRICS_PORT"),
    ],
)
def test_bad_push_settings_say_what_is_expected(
    values: dict[str, str], variable: str, words: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(env(**values), env_file=None)
    assert raised.value.variable == variable
    assert words in str(raised.value)


def test_tokens_are_random_recognisable_and_stored_as_their_sha256() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(TOKEN_RE.fullmatch(t) for t in tokens)
    token = tokens.pop()
    assert token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert token not in token_hash(token)


def test_a_token_may_push_a_few_times_a_window() -> None:
    now = [1000.0]
    limiter = PushLimiter(limit=3, window=60.0, clock=lambda: now[0])
    assert [limiter.retry_after(1) for _ in range(3)] == [None, None, None]
    assert limiter.retry_after(1) == pytest.approx(60.0)
    assert limiter.retry_after(2) is None  # each token on its own
    now[0] += 45.0
    assert limiter.retry_after(1) == pytest.approx(15.0)
    now[0] += 15.0
    assert limiter.retry_after(1) is None
    now[0] += 120.0
    limiter.forget_idle()
    assert limiter._seen == {}


def test_the_bearer_header_is_read_as_http_says() -> None:
    assert bearer("Bearer abc") == "abc"
    assert bearer("bearer   abc ") == "abc"
    assert bearer("Basic abc") == ""
    assert bearer("") == ""


def test_ci_names_the_endpoint_and_prints_the_answer_for_a_person() -> None:
    assert push_url("https://nexus.example.com/", "bookings-api") == (
        "https://nexus.example.com/specs/bookings-api/versions"
    )
    answer = {
        "spec": "bookings-api",
        "version": {"number": 2, "label": "2.0.0", "openapi": "3.0.3"},
        "previous": {"number": 1, "label": "1.0.0"},
        "endpoints": 12,
        "counts": {"breaking": 1, "warning": 0, "info": 2},
        "changes": [
            {"severity": "breaking", "rule": "r", "endpoint": "e", "message": "`DELETE /x` gone"}
        ],
        "change_count": 3,
        "warnings": [{"message": "No description.", "pointer": "/info", "line": 3}],
        "warning_count": 1,
        "announced_in": "123",
        "announcement_problem": None,
    }
    printed = summary(answer).splitlines()
    assert printed[0] == (
        "pushed bookings-api 2.0.0 (#2): 12 endpoints; since 1.0.0: 1 breaking, 0 warning, 2 info"
    )
    assert "  breaking `DELETE /x` gone" in printed
    assert "  /info (line 3): No description." in printed
    assert printed[-1] == "announced in channel 123"


def test_the_example_workflow_pushes_and_checks_as_the_command_line_takes_them() -> None:
    workflow = yaml.safe_load((REPO / "examples/github-actions/spec.yml").read_text())
    steps = workflow["jobs"]["spec"]["steps"]
    commands = {}
    for step in steps:
        for line in step.get("run", "").splitlines():
            if "python -m bot spec " in line:
                words = shlex.split(line.split("python -m bot", 1)[1].split(">")[0])
                commands[words[1]] = (step, build_parser().parse_args(words))
    push_step, pushed = commands["push"]
    assert (pushed.spec, pushed.url) == ("$SPEC_NAME", "${{ vars.NEXUS_URL }}")
    assert push_step["if"] == "github.event_name == 'push'"
    assert push_step["env"]["NEXUS_SPEC_TOKEN"] == "${{ secrets.NEXUS_SPEC_TOKEN }}"
    check_step, checked = commands["check"]
    assert checked.fail_on == "breaking"
    assert check_step["if"] == "github.event_name == 'pull_request'"
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads `on:` as true
