"""The fake Slack behaves like Slack for slack_sdk and slack_bolt clients over real HTTP.

Later tests trust these fakes to stand for Slack, so each behaviour the bot relies on is shown
here with the real clients: pagination, rate limits with slack_sdk's retry handler, errors,
files_upload_v2, the Socket Mode envelope protocol, and signed requests that Bolt accepts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.app.app import SlackAppDevelopmentServer
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web import SlackResponse
from slack_sdk.webhook import WebhookClient
from support.fake_slack import FakeSlack, error, ratelimited
from support.live_harness import SECRET, wait_until
from support.slack_samples import (
    BOT_USER_ID,
    HELP_CHANNEL,
    LEADS_CHANNEL,
    LEARNER,
    TA,
    TEAM_ID,
    event_body,
    interaction,
    load,
    message_event,
    slash_command,
    wrap_event,
)
from support.slack_signing import SlackSender


def api_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


def close_client(client: BaseSocketModeClient) -> None:
    """Close a slack_sdk Socket Mode client at once.

    Its message thread waits up to a second for a message before it looks at `closed` again,
    and close() joins it; a None, which the thread skips, wakes it (the bot's own client does
    the same in bot/slack/socket_client.py).
    """
    client.closed = True
    client.message_queue.put(None)
    client.close()


def pages_of(response: SlackResponse) -> list[dict[str, Any]]:
    """Every page of a paginated answer (iterating a SlackResponse reuses one object)."""
    return [dict(page.data) for page in response]


def post_many(fake: FakeSlack, count: int, channel: str = HELP_CHANNEL) -> list[str]:
    return [fake.post(channel, f"message {i}")["ts"] for i in range(count)]


# -- Web API: identity, tokens, scopes ------------------------------------------------------


def test_auth_test_answers_the_sample_identity(fake_slack: FakeSlack) -> None:
    answer = fake_slack.client().auth_test()
    assert answer["user_id"] == BOT_USER_ID
    assert answer.data == load("api/auth.test.json")
    call = fake_slack.calls_to("auth.test")[0]
    assert call.headers["authorization"] == f"Bearer {fake_slack.bot_token}"


def test_tokens_are_checked_like_slack(fake_slack: FakeSlack) -> None:
    wrong = fake_slack.client(token="xoxb-revoked")
    assert api_error(wrong.auth_test).response["error"] == "invalid_auth"
    app_level = fake_slack.client(token=fake_slack.app_token)
    failed = api_error(lambda: app_level.chat_postMessage(channel=HELP_CHANNEL, text="hi"))
    assert failed.response["error"] == "not_allowed_token_type"
    bot = fake_slack.client()
    failed = api_error(lambda: bot.apps_connections_open(app_token=fake_slack.bot_token))
    assert failed.response["error"] == "not_allowed_token_type"


def test_a_scope_missing_from_the_grant_is_refused() -> None:
    with FakeSlack(scopes={"channels:history"}) as fake:
        fake.add_channel("G0PRIVATE", "help-private", private=True)
        fake.post("G0PRIVATE", "secret")
        client = fake.client()
        failed = api_error(lambda: client.conversations_history(channel="G0PRIVATE"))
        assert failed.response["error"] == "missing_scope"
        assert failed.response["needed"] == "groups:history"
        failed = api_error(lambda: client.chat_postMessage(channel=HELP_CHANNEL, text="hi"))
        assert failed.response["needed"] == "chat:write"
        assert client.conversations_history(channel=HELP_CHANNEL)["ok"]


def test_unknown_methods_and_channels_get_slack_errors(fake_slack: FakeSlack) -> None:
    client = fake_slack.client()
    assert api_error(lambda: client.api_call("users.admin.invite")).response["error"] == (
        "unknown_method"
    )
    failed = api_error(lambda: client.conversations_history(channel="C0NOPE"))
    assert failed.response["error"] == "channel_not_found"
    fake_slack.add_channel("C0OUTSIDE", "general", member=False)
    failed = api_error(lambda: client.chat_postMessage(channel="C0OUTSIDE", text="hi"))
    assert failed.response["error"] == "not_in_channel"


# -- Web API: scripted answers and rate limits --------------------------------------------


def test_scripted_errors_come_in_order_then_service_resumes(fake_slack: FakeSlack) -> None:
    fake_slack.queue("auth.test", error("invalid_auth"), load("api/error.channel_not_found.json"))
    client = fake_slack.client()
    assert api_error(client.auth_test).response["error"] == "invalid_auth"
    assert api_error(client.auth_test).response["error"] == "channel_not_found"
    assert client.auth_test()["ok"]


def test_429_carries_retry_after_and_slack_sdk_honours_it(fake_slack: FakeSlack) -> None:
    fake_slack.queue("conversations.history", ratelimited(retry_after=1))
    bare = api_error(lambda: fake_slack.client().conversations_history(channel=HELP_CHANNEL))
    assert bare.response.status_code == 429
    assert bare.response.headers["Retry-After"] == "1"
    assert bare.response["error"] == "ratelimited"

    fake_slack.queue("conversations.history", ratelimited(retry_after=1))
    client = fake_slack.client(retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    assert client.conversations_history(channel=HELP_CHANNEL)["ok"]
    limited, retried = fake_slack.calls_to("conversations.history")[-2:]
    assert retried.at - limited.at >= 1.0


def test_rate_limit_policy_answers_429_beyond_the_allowance(fake_slack: FakeSlack) -> None:
    fake_slack.rate_limit("conversations.history", calls=2, per=1.0)
    client = fake_slack.client()
    client.conversations_history(channel=HELP_CHANNEL)
    client.conversations_history(channel=HELP_CHANNEL)
    third = api_error(lambda: client.conversations_history(channel=HELP_CHANNEL))
    assert third.response.status_code == 429
    assert third.response.headers["Retry-After"] == "1"
    patient = fake_slack.client(retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3)])
    assert patient.conversations_history(channel=HELP_CHANNEL)["ok"]


# -- Web API: history and threads ---------------------------------------------------------


def test_history_pages_newest_first_with_cursors(fake_slack: FakeSlack) -> None:
    stamps = post_many(fake_slack, 7)
    fake_slack.post(HELP_CHANNEL, "a reply, not in history", thread_ts=stamps[0])
    pages = pages_of(fake_slack.client().conversations_history(channel=HELP_CHANNEL, limit=3))
    assert [len(p["messages"]) for p in pages] == [3, 3, 1]
    assert [p["has_more"] for p in pages] == [True, True, False]
    seen = [m["ts"] for p in pages for m in p["messages"]]
    assert seen == stamps[::-1]
    assert pages[-1]["response_metadata"]["next_cursor"] == ""
    root = pages[-1]["messages"][0]
    assert root["reply_count"] == 1 and root["latest_reply"] > root["ts"]


def test_history_window_oldest_latest_inclusive(fake_slack: FakeSlack) -> None:
    a, b, c, d = post_many(fake_slack, 4)
    client = fake_slack.client()

    def window(**args: Any) -> list[str]:
        answer = client.conversations_history(channel=HELP_CHANNEL, **args)
        return [m["ts"] for m in answer["messages"]]

    assert window(oldest=a) == [d, c, b]
    assert window(oldest=a, inclusive=True) == [d, c, b, a]
    assert window(oldest=a, latest=d) == [c, b]
    assert window(oldest=b, latest=c, inclusive=True) == [c, b]


def test_history_page_cap_of_non_marketplace_apps(fake_slack: FakeSlack) -> None:
    post_many(fake_slack, 40)
    fake_slack.history_page_max = 15
    pages = pages_of(fake_slack.client().conversations_history(channel=HELP_CHANNEL, limit=200))
    assert [len(p["messages"]) for p in pages] == [15, 15, 10]


def test_a_bad_cursor_is_refused(fake_slack: FakeSlack) -> None:
    client = fake_slack.client()
    failed = api_error(lambda: client.conversations_history(channel=HELP_CHANNEL, cursor="%%"))
    assert failed.response["error"] == "invalid_cursor"


def test_replies_page_oldest_first_root_first(fake_slack: FakeSlack) -> None:
    root = fake_slack.post(HELP_CHANNEL, "AccessDenied on PassRole")["ts"]
    replies = [
        fake_slack.post(HELP_CHANNEL, f"reply {i}", user=TA, thread_ts=root)["ts"] for i in range(4)
    ]
    client = fake_slack.client()
    pages = pages_of(client.conversations_replies(channel=HELP_CHANNEL, ts=replies[2], limit=2))
    assert [m["ts"] for p in pages for m in p["messages"]] == [root, *replies]
    first = pages[0]["messages"][0]
    assert first["reply_count"] == 4 and first["reply_users"] == [TA]
    failed = api_error(lambda: client.conversations_replies(channel=HELP_CHANNEL, ts="1.000001"))
    assert failed.response["error"] == "thread_not_found"


def test_the_sample_thread_reads_back_as_the_sample_answers(fake_slack: FakeSlack) -> None:
    thread = load("api/conversations.replies.json")["messages"]
    fake_slack.load_history(HELP_CHANNEL, thread)
    client = fake_slack.client()
    answer = client.conversations_replies(channel=HELP_CHANNEL, ts=thread[0]["ts"])
    assert answer["messages"] == thread
    history = client.conversations_history(channel=HELP_CHANNEL)["messages"]
    assert history == load("api/conversations.history.json")["messages"]


def test_thread_broadcast_shows_in_history_too(fake_slack: FakeSlack) -> None:
    root = fake_slack.post(HELP_CHANNEL, "root")["ts"]
    fake_slack.post(HELP_CHANNEL, "quiet reply", thread_ts=root)
    loud = fake_slack.post(HELP_CHANNEL, "loud", thread_ts=root, subtype="thread_broadcast")
    history = fake_slack.client().conversations_history(channel=HELP_CHANNEL)["messages"]
    assert [m["ts"] for m in history] == [loud["ts"], root]


# -- Web API: posting, views, files ------------------------------------------------------


def test_posted_messages_land_in_history_with_permalinks(fake_slack: FakeSlack) -> None:
    client = fake_slack.client()
    root = client.chat_postMessage(channel=LEADS_CHANNEL, text="Weekly friction digest")
    reply = client.chat_postMessage(channel=LEADS_CHANNEL, text="chart", thread_ts=root["ts"])
    assert reply["ts"] > root["ts"]
    assert [m["text"] for m in fake_slack.messages(LEADS_CHANNEL)] == [
        "Weekly friction digest",
        "chart",
    ]
    assert root["message"]["bot_id"] == load("api/chat.postMessage.json")["message"]["bot_id"]
    link = client.chat_getPermalink(channel=LEADS_CHANNEL, message_ts=reply["ts"])["permalink"]
    digits = reply["ts"].replace(".", "")
    assert link == (
        f"https://cloudlabs.slack.com/archives/{LEADS_CHANNEL}/p{digits}"
        f"?thread_ts={root['ts']}&cid={LEADS_CHANNEL}"
    )
    sent = fake_slack.calls_to("chat.postMessage")[1]
    assert sent.params["thread_ts"] == root["ts"]


def test_chat_update_edits_only_the_bots_messages(fake_slack: FakeSlack) -> None:
    client = fake_slack.client()
    posted = client.chat_postMessage(channel=HELP_CHANNEL, text="draft")
    client.chat_update(channel=HELP_CHANNEL, ts=posted["ts"], text="final")
    assert fake_slack.messages(HELP_CHANNEL)[-1]["text"] == "final"
    theirs = fake_slack.post(HELP_CHANNEL, "a learner's message")
    failed = api_error(lambda: client.chat_update(channel=HELP_CHANNEL, ts=theirs["ts"], text="x"))
    assert failed.response["error"] == "cant_update_message"


def test_block_kit_limits_are_enforced(fake_slack: FakeSlack) -> None:
    client = fake_slack.client()
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}
    client.chat_postMessage(channel=HELP_CHANNEL, text="fits", blocks=[section] * 50)
    too_many = api_error(
        lambda: client.chat_postMessage(channel=HELP_CHANNEL, text="x", blocks=[section] * 51)
    )
    assert too_many.response["error"] == "invalid_blocks"
    long = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    too_long = api_error(
        lambda: client.chat_postMessage(channel=HELP_CHANNEL, text="x", blocks=[long])
    )
    assert too_long.response["error"] == "invalid_blocks"


def test_ephemerals_and_views_are_recorded(fake_slack: FakeSlack) -> None:
    client = fake_slack.client()
    client.chat_postEphemeral(channel=HELP_CHANNEL, user=TA, text="Tagged iam.passrole")
    assert fake_slack.ephemerals[0]["user"] == TA
    assert fake_slack.ephemerals[0]["text"] == "Tagged iam.passrole"

    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Tag friction"}, "blocks": []}
    opened = client.views_open(trigger_id="1234567890.1234.fedcba", view=modal)["view"]
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)["view"]
    assert fake_slack.views[opened["id"]]["hash"] == updated["hash"] != opened["hash"]
    stale = api_error(
        lambda: client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)
    )
    assert stale.response["error"] == "hash_conflict"

    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}],
    }
    client.views_publish(user_id=TA, view=home)
    assert fake_slack.home_views[TA]["blocks"] == home["blocks"]


def test_usergroups_and_channels(fake_slack: FakeSlack) -> None:
    client = fake_slack.client()
    tas = client.usergroups_users_list(usergroup="S0123TAS")["users"]
    assert tas == load("api/usergroups.users.list.json")["users"]
    failed = api_error(lambda: client.usergroups_users_list(usergroup="S0NOPE"))
    assert failed.response["error"] == "no_such_subteam"

    fake_slack.add_channel("G0PRIVATE", "help-private", private=True)
    public = [c["id"] for p in client.conversations_list(limit=1) for c in p["channels"]]
    assert public == [HELP_CHANNEL, LEADS_CHANNEL]
    every = client.conversations_list(types="public_channel,private_channel")["channels"]
    assert {c["id"] for c in every} == {HELP_CHANNEL, LEADS_CHANNEL, "G0PRIVATE"}
    assert client.conversations_info(channel="G0PRIVATE")["channel"]["is_private"]


def test_files_upload_v2_end_to_end(fake_slack: FakeSlack) -> None:
    client = fake_slack.client()
    root = client.chat_postMessage(channel=LEADS_CHANNEL, text="Weekly friction digest")
    chart = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    answer = client.files_upload_v2(
        channel=LEADS_CHANNEL,
        thread_ts=root["ts"],
        content=chart,
        filename="friction-2026-W47.png",
        title="Friction by domain",
        initial_comment="This week's chart",
    )
    upload = fake_slack.uploads[answer["file"]["id"]]
    assert upload.content == chart
    assert upload.length == len(chart)
    assert (upload.channel, upload.thread_ts) == (LEADS_CHANNEL, root["ts"])
    assert upload.title == "Friction by domain"
    share = fake_slack.messages(LEADS_CHANNEL)[-1]
    assert share["subtype"] == "file_share" and share["thread_ts"] == root["ts"]
    assert [c.method for c in fake_slack.calls[-2:]] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


def test_completing_an_upload_whose_bytes_never_came_fails(fake_slack: FakeSlack) -> None:
    client = fake_slack.client()
    file_id = client.files_getUploadURLExternal(filename="a.png", length=3)["file_id"]
    failed = api_error(
        lambda: client.files_completeUploadExternal(
            files=[{"id": file_id}], channel_id=HELP_CHANNEL
        )
    )
    assert failed.response["error"] == "file_not_found"


def test_reactions_read_back_from_history(fake_slack: FakeSlack) -> None:
    root = fake_slack.post(HELP_CHANNEL, "PassRole denied")["ts"]
    fake_slack.add_reaction(HELP_CHANNEL, root, "white_check_mark")
    fake_slack.add_reaction(HELP_CHANNEL, root, "white_check_mark", user=TA)
    message = fake_slack.client().reactions_get(channel=HELP_CHANNEL, timestamp=root)["message"]
    assert message["reactions"] == [
        {"name": "white_check_mark", "users": [LEARNER, TA], "count": 2}
    ]


def test_a_test_can_answer_a_method_itself(fake_slack: FakeSlack) -> None:
    fake_slack.on("users.info", lambda call: {"user": {"id": call.params["user"], "tz": "UTC"}})
    assert fake_slack.client().users_info(user=TA)["user"] == {"id": TA, "tz": "UTC"}


def test_a_broken_handler_is_loud_not_silent() -> None:
    with FakeSlack() as fake:
        fake.on("auth.test", lambda call: 1 / 0)
        failed = api_error(fake.client().auth_test)
        assert failed.response.status_code == 500
        assert "ZeroDivisionError" in fake.errors[0]


def test_response_urls_can_point_at_the_fake(fake_slack: FakeSlack) -> None:
    url = f"{fake_slack.base_url}/hooks/commands/{TEAM_ID}/1/abc"
    answer = WebhookClient(url).send(text="Only you can see this", response_type="ephemeral")
    assert answer.status_code == 200
    assert fake_slack.hooks == [
        (
            url.removeprefix(fake_slack.base_url),
            {
                "text": "Only you can see this",
                "response_type": "ephemeral",
            },
        )
    ]


def test_form_and_json_params_are_both_recorded(fake_slack: FakeSlack) -> None:
    client = fake_slack.client()
    client.chat_postMessage(channel=HELP_CHANNEL, text="json body")
    client.conversations_history(channel=HELP_CHANNEL, limit=5)
    posted, listed = fake_slack.calls
    assert posted.params == {"channel": HELP_CHANNEL, "text": "json body"}
    assert posted.headers["content-type"].startswith("application/json")
    assert listed.params["limit"] == "5"


# -- Socket Mode ----------------------------------------------------------------------


@dataclass
class Listening:
    client: SocketModeClient
    received: list[SocketModeRequest]
    hellos: list[dict[str, Any]]


@contextmanager
def listening(fake_slack: FakeSlack, *, ping_interval: float = 0.5) -> Iterator[Listening]:
    """slack_sdk's builtin SocketModeClient (Bolt's default) on the fake, acking every envelope.

    The client finds a dead session by its pings: none answered for four `ping_interval`s.
    """
    client = SocketModeClient(
        app_token=fake_slack.app_token, web_client=fake_slack.client(), ping_interval=ping_interval
    )
    received: list[SocketModeRequest] = []
    hellos: list[dict[str, Any]] = []

    def on_request(client: SocketModeClient, request: SocketModeRequest) -> None:
        received.append(request)
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))

    def on_message(client: SocketModeClient, message: dict, raw: str | None) -> None:
        if message.get("type") == "hello":
            hellos.append(message)

    client.socket_mode_request_listeners.append(on_request)
    client.message_listeners.append(on_message)
    client.connect()
    try:
        yield Listening(client, received, hellos)
    finally:
        fake_slack.socket_mode.stop()  # first, so the client's blocking read returns at once
        close_client(client)


@pytest.fixture
def socket_client(fake_slack: FakeSlack) -> Iterator[Listening]:
    with listening(fake_slack) as client:
        yield client


def test_socket_mode_hello_event_and_ack(fake_slack: FakeSlack, socket_client: Listening) -> None:
    server = fake_slack.socket_mode
    server.wait_for_connections(1)
    body = load("events/message.json")
    envelope_id = server.push(body)
    assert server.wait_for_ack(envelope_id) == {"envelope_id": envelope_id}
    request = socket_client.received[0]
    assert request.type == "events_api" and request.payload == body
    # slack_sdk runs message listeners on its own threads: the hello may come after the ack.
    wait_until(lambda: socket_client.hellos, what="the hello")
    assert socket_client.hellos == [load("socket_mode/hello.json")]
    assert socket_client.client.is_connected()


def test_socket_mode_refresh_reconnects_through_a_new_url(
    fake_slack: FakeSlack, socket_client: Listening
) -> None:
    server = fake_slack.socket_mode
    first = server.wait_for_connections(1)
    server.disconnect("refresh_requested")
    second = server.wait_for_connections(2)
    assert second is not first and second.ticket != first.ticket
    assert len(fake_slack.calls_to("apps.connections.open")) == 2
    envelope_id = server.push(event_body("reaction_added"))
    server.wait_for_ack(envelope_id)
    assert socket_client.received[-1].payload["event"]["type"] == "reaction_added"
    first.closed.wait(5)
    assert server.active == [second]


@pytest.mark.parametrize("failure", ["drop", "stall"])
def test_socket_mode_recovers_from_a_dead_session(fake_slack: FakeSlack, failure: str) -> None:
    server = fake_slack.socket_mode
    with listening(fake_slack, ping_interval=0.2):  # stale after 1 s unanswered, not 3 s
        server.wait_for_connections(1)
        getattr(server, failure)()
        lost = server.push(wrap_event(message_event("lost while dead", "1731330001.000100")))
        server.wait_for_connections(2, timeout=15)
        assert lost not in server.acks
        delivered = server.push(wrap_event(message_event("after", "1731330002.000200")))
        server.wait_for_ack(delivered)


def test_socket_mode_refuses_a_url_it_did_not_issue(fake_slack: FakeSlack) -> None:
    forged = fake_slack.socket_mode.url + "/link/?ticket=forged&app_id=A0123APP"
    client = SocketModeClient(app_token=fake_slack.app_token, web_client=fake_slack.client())
    client.wss_uri = forged
    client.auto_reconnect_enabled = client.default_auto_reconnect_enabled = False
    try:
        client.connect()
        assert not client.is_connected()
        assert fake_slack.socket_mode.active == []
    finally:
        close_client(client)


def test_bolt_socket_mode_handler_receives_events(fake_slack: FakeSlack) -> None:
    app = App(client=fake_slack.client(), signing_secret=SECRET)
    texts: list[str] = []
    app.event("message")(lambda event: texts.append(event["text"]))
    handler = SocketModeHandler(app, fake_slack.app_token)
    handler.connect()
    try:
        envelope_id = fake_slack.socket_mode.push(load("socket_mode/events_api.json")["payload"])
        fake_slack.socket_mode.wait_for_ack(envelope_id)
        wait_until(lambda: texts, what="the message event")
        assert texts == [load("events/message.json")["event"]["text"]]
    finally:
        fake_slack.socket_mode.stop()
        close_client(handler.client)


# -- Signed requests to an HTTP-mode Bolt app ---------------------------------------------


@pytest.fixture
def http_app(fake_slack: FakeSlack) -> Iterator[tuple[str, list[str]]]:
    """A Bolt app in HTTP mode on a free port, recording what its listeners saw."""
    app = App(client=fake_slack.client(), signing_secret=SECRET)
    seen: list[str] = []
    app.event("message")(lambda event: seen.append(f"message:{event['text']}"))

    @app.command("/friction")
    def command(ack: Any, command: dict[str, str]) -> None:
        ack()
        seen.append(f"command:{command['text']}")

    @app.shortcut("tag_friction")
    def shortcut(ack: Any) -> None:
        ack()
        seen.append("shortcut")

    server = SlackAppDevelopmentServer(port=0, path="/slack/events", app=app)
    port = server._server.server_address[1]
    threading.Thread(target=server._server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{port}/slack/events", seen
    server._server.shutdown()
    server._server.server_close()


def test_signed_requests_are_accepted_by_bolt(http_app: tuple[str, list[str]]) -> None:
    url, seen = http_app
    sender = SlackSender(url, SECRET)
    challenge = load("events/url_verification.json")
    assert sender.event(challenge).json() == {"challenge": challenge["challenge"]}
    assert sender.event(event_body("message", text="hello")).status == 200
    assert sender.command(slash_command("stats 7d")).status == 200
    assert sender.interaction(interaction("message_action")).status == 200
    wait_until(lambda: len(seen) >= 3, what="the three requests")
    assert sorted(seen) == ["command:stats 7d", "message:hello", "shortcut"]


def test_bad_signature_and_stale_timestamp_get_401(http_app: tuple[str, list[str]]) -> None:
    url, seen = http_app
    sender = SlackSender(url, SECRET)
    body = event_body("message", text="forged")
    assert sender.event(body, secret="not-the-secret").status == 401
    assert sender.event(body, timestamp=int(time.time()) - 6 * 60).status == 401
    assert sender.event(body, retry_num=1).status == 200
    wait_until(lambda: seen, what="the request with a retry header")
    assert seen == ["message:forged"]
