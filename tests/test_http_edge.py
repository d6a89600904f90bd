"""The HTTP edge as an attacker and a bad network meet it: size, then signature, then parse.

Each case is a real request over loopback to the bot in HTTP mode. Nothing a client sends may
get a 5xx or an ERROR line; nothing refused reaches the spool; the log never holds the body.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from support.fake_slack import FakeSlack, bot_scopes_from_manifest
from support.live_harness import SECRET, Running, running_bot
from support.slack_samples import (
    SAMPLES,
    interaction,
    load,
    message_event,
    slash_command,
    wrap_event,
)
from support.slack_signing import FORM, JSON, interaction_request, post_raw, signed_headers

from bot.slack.edge import MAX_BODY, Refused, verify
from bot.slack.payloads import shape_problem

MARKER = "WOMBAT-4411"  # in every body, so the log can be searched for any of them


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """One bot for the module (starting one takes seconds); each test checks its own effects."""
    tmp = tmp_path_factory.mktemp("edge")
    with (
        FakeSlack(scopes=bot_scopes_from_manifest()) as fake,
        running_bot(fake, f"sqlite:///{tmp}/ledger.db", tmp / "spool.db") as bot,
    ):
        yield bot


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


def event_bytes(text: str = f"{MARKER} s3 AccessDenied", ts: str = "1731350000.000100") -> bytes:
    return json.dumps(wrap_event(message_event(text, ts))).encode()


def assert_nothing_kept(live: Running, logs: pytest.LogCaptureFixture, warnings: int) -> None:
    """Nothing spooled or stored, one WARNING per refusal, no ERROR, no body in the log."""
    live.settle()
    assert MARKER not in str([m.text for m in live.messages()])
    assert [r for r in logs.records if r.levelno >= logging.ERROR] == []
    refusals = [r for r in logs.records if r.getMessage().startswith("request.")]
    assert [r.levelno for r in refusals] == [logging.WARNING] * warnings
    assert MARKER not in logs.text


UNSIGNED = {
    "no headers": {},
    "non-numeric timestamp": {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"},
    "a 40-digit timestamp": {"X-Slack-Request-Timestamp": "9" * 40},
    "Latin-1 signature": {"X-Slack-Request-Timestamp": "{now}", "X-Slack-Signature": "v0=é"},
    "a signature but no timestamp": {"X-Slack-Signature": "v0=" + "0" * 64},
}


@pytest.mark.parametrize("headers", UNSIGNED.values(), ids=UNSIGNED.keys())
def test_an_unsigned_request_gets_401_whatever_its_headers(
    live: Running, logs: pytest.LogCaptureFixture, headers: dict[str, str]
) -> None:
    now = str(int(time.time()))
    sent = {k: v.format(now=now) for k, v in headers.items()}
    for body in (event_bytes(), b"{" * 1000, b"\xff\xfe" + MARKER.encode()):
        answer = post_raw(live.url, body, {"Content-Type": JSON, **sent})
        assert answer.status == 401, (answer.status, answer.text)
    assert_nothing_kept(live, logs, warnings=3)


def test_a_validly_signed_timestamp_that_is_not_plain_digits_gets_401(
    live: Running, logs: pytest.LogCaptureFixture
) -> None:
    """`int()` reads "17313_50000" as the current time and the signature checks out over it:
    only the strict digits rule refuses it."""
    now = str(int(time.time()))
    body = event_bytes()
    underscored = signed_headers(body, SECRET, timestamp=f"{now[:5]}_{now[5:]}")
    assert post_raw(live.url, body, underscored).status == 401
    assert_nothing_kept(live, logs, warnings=1)


def test_spaces_around_a_validly_signed_timestamp_are_refused() -> None:
    """Checked at `verify` itself: a proxy or the server may strip a header's spaces."""
    body = event_bytes()
    headers = signed_headers(body, SECRET, timestamp=f" {int(time.time())} ")
    timestamp, signature = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    with pytest.raises(Refused) as refused:
        verify(SECRET, timestamp, signature, body, time.time())
    assert refused.value.status == 401


def test_a_signature_for_another_body_or_time_gets_401(
    live: Running, logs: pytest.LogCaptureFixture
) -> None:
    body = event_bytes()
    signed = signed_headers(body, SECRET)
    assert post_raw(live.url, body + b" ", signed).status == 401  # one byte more
    stale = signed_headers(body, SECRET, timestamp=int(time.time()) - 301)
    future = signed_headers(body, SECRET, timestamp=int(time.time()) + 301)
    assert post_raw(live.url, body, stale).status == 401
    assert post_raw(live.url, body, future).status == 401
    assert_nothing_kept(live, logs, warnings=3)


def status_after_headers(url: str, length: int, headers: dict[str, str], sent: bytes) -> int:
    """Announce a `length`-byte body, send only `sent` of it, and read the status line."""
    where = urlsplit(url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as conn:
        lines = [f"POST {where.path} HTTP/1.1", f"Host: {where.netloc}"]
        lines += [f"{k}: {v}" for k, v in {**headers, "Content-Length": str(length)}.items()]
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + sent)
        return int(conn.makefile("rb").readline().split()[1])


def test_a_body_over_1_mib_gets_413_before_it_is_read(
    live: Running, logs: pytest.LogCaptureFixture
) -> None:
    start = (MARKER.encode() + b" not json ") * 100  # of a 5 MB body: the rest is never sent
    started = time.perf_counter()
    assert status_after_headers(live.url, 5 * 2**20, {"Content-Type": JSON}, start) == 413
    assert time.perf_counter() - started < 2.0
    just_over = b" " * (MAX_BODY + 1)  # signed: the size is refused first all the same
    signed = signed_headers(just_over, SECRET)
    assert status_after_headers(live.url, len(just_over), signed, b"") == 413
    assert_nothing_kept(live, logs, warnings=0)


def shaped(event: dict[str, Any]) -> bytes:
    """A message event with some fields changed (None: removed)."""
    body = wrap_event(message_event(f"{MARKER} s3 AccessDenied", "1731350002.000100"))
    body["event"].update(event)
    body["event"] = {k: v for k, v in body["event"].items() if v is not None}
    return json.dumps(body).encode()


def form(payload: dict[str, Any], drop: str) -> bytes:
    """An interaction as Slack posts it, with the field `drop` missing."""
    return interaction_request({k: v for k, v in payload.items() if k != drop})[0]


def nested(depth: int) -> bytes:
    return b'{"type":"event_callback","event":' + b"[" * depth + b"]" * depth + b"}"


MALFORMED = {
    "truncated JSON": (event_bytes()[:-7], JSON),
    "invalid UTF-8 in the text": (
        event_bytes(f"{MARKER} \udcff").replace(b"\\udcff", b"\xff"),
        JSON,
    ),
    "JSON nested 100,000 deep": (nested(100_000), JSON),
    "a JSON array": (b"[" + event_bytes() + b"]", JSON),
    "an interaction whose payload is not JSON": (b"payload=%7B" + MARKER.encode(), FORM),
    "an interaction whose payload is a string": (b"payload=%22" + MARKER.encode() + b"%22", FORM),
    "an event that is a string": (
        b'{"type":"event_callback","team_id":"T1","event_id":"E1",'
        b'"event":"' + MARKER.encode() + b'"}',
        JSON,
    ),
    "a channel that is a number": (shaped(event={"channel": 5}), JSON),
    "a message without its ts": (shaped(event={"ts": None}), JSON),
    "a lone surrogate in the text": (shaped(event={"text": MARKER + " \ud800"}), JSON),
    "a button click without a user": (form(interaction("block_actions"), drop="user"), FORM),
    "a button click without its container": (
        form(interaction("block_actions"), drop="container"),
        FORM,
    ),
    "a modal submission without its view": (
        form(interaction("view_submission"), drop="view"),
        FORM,
    ),
    "a shortcut without its message_ts": (
        form(interaction("message_action"), drop="message_ts"),
        FORM,
    ),
    "a slash command without user_id": (
        urlencode({k: v for k, v in slash_command(MARKER).items() if k != "user_id"}).encode(),
        FORM,
    ),
}


@pytest.mark.parametrize(("body", "content_type"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_signed_malformed_body_gets_400_and_one_warning(
    live: Running, logs: pytest.LogCaptureFixture, body: bytes, content_type: str
) -> None:
    answer = post_raw(live.url, body, signed_headers(body, SECRET, content_type=content_type))
    assert answer.status == 400, (answer.status, answer.text)
    assert_nothing_kept(live, logs, warnings=1)
    [line] = [r for r in logs.records if r.getMessage() == "request.malformed"]
    assert line.fields["status"] == 400 and line.fields["bytes"] == len(body)


def test_after_the_refusals_a_good_event_is_stored(live: Running) -> None:
    post_raw(live.url, b"x" * 100, {"X-Slack-Request-Timestamp": "abc"})
    post_raw(live.url, b"{", signed_headers(b"{", SECRET))
    assert live.sender.post(event_bytes("s3 NoSuchBucket", "1731350001.000100"), JSON).status == 200
    live.settle()
    assert "1731350001.000100" in [m.ts for m in live.messages()]


SLACK_SAMPLES = [
    *sorted(
        str(p.relative_to(SAMPLES))
        for p in SAMPLES.glob("*/*.json")
        if p.parent.name in ("events", "interactivity")
    ),
    "interactivity/slash_command.form.txt",
]


@pytest.mark.parametrize("name", SLACK_SAMPLES)
def test_every_payload_slack_sends_has_the_shape_the_edge_expects(name: str) -> None:
    """The samples are Slack's own: the shape check must never refuse one of them."""
    if name.endswith(".txt"):
        payload: dict[str, Any] = dict(parse_qsl((SAMPLES / name).read_text().strip()))
    else:
        payload = load(name)
    assert shape_problem(payload) is None
