"""The Bolt app: the listeners that capture help-channel activity, and room for the features.

Extension point: a feature module (the TA workflow's `/friction`, the "Tag friction" shortcut,
App Home, ...) exposes

    def register(app: slack_bolt.App, context: bot.context.Context) -> None: ...

and its `register` is listed in `FEATURES`; `build_app` calls each in order, so one App serves every
surface, in Socket Mode and in HTTP mode alike, and the manifest test sees all of them.

The app runs with `process_before_response=True`: Bolt answers Slack only once a listener has
returned, so a captured event is on disk (in the spool) before Slack hears "got it", and a
failure makes Slack redeliver instead of losing the event. A listener with slow work calls
`ack()` and does the rest in Bolt's lazy listeners (`app.command(...)(ack=..., lazy=[...])`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.config import Settings
from bot.context import Context
from bot.remediation import hints
from bot.slack.events import CAPTURED_EVENTS, ChannelNames, LiveEvents
from bot.ta import workflow

# Modules whose `register(app, context)` adds listeners; add yours here.
Feature = Callable[[App, Context], None]
FEATURES: tuple[Feature, ...] = (workflow.register, hints.register)

EventSink = Callable[[dict[str, Any]], None]


def web_client(settings: Settings) -> WebClient:
    """The bot's Web API client: SLACK_API_URL, retrying 429s (Retry-After) and dropped calls."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(
        token=token,
        base_url=settings.slack_api_url.rstrip("/") + "/",
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=5),
        ],
    )


def build_app(
    context: Context,
    *,
    client: WebClient | None = None,
    sink: EventSink | None = None,
    features: Iterable[Feature] = FEATURES,
) -> App:
    """A Bolt App capturing messages and reactions, with every feature module registered.

    `sink` receives each captured event's body before Slack is acknowledged: `friction run`
    passes the spool's `put`; without one, events are written to the ledger at once (tests,
    and feature modules' own tests, need nothing more).
    """
    client = client or web_client(context.settings)
    app = App(
        # Named, or Bolt names it after its caller's file by reading the source of every frame
        # on the stack (tens of milliseconds); the name is its request loggers'.
        name="friction",
        client=client,
        # Every HTTP request reaches Bolt only through the edge (`bot/slack/server.py`), which
        # has checked its signature over the raw bytes; Socket Mode needs none.
        request_verification_enabled=False,
        process_before_response=True,
    )
    if sink is None:
        live = LiveEvents(context, ChannelNames(client))

        def sink(body: dict[str, Any]) -> None:
            live.apply([body])

    def capture_event(body: dict[str, Any]) -> None:
        """Hand the event to the sink; Bolt acks once this returns."""
        sink(body)

    for kind in CAPTURED_EVENTS:
        app.event(kind)(capture_event)
    for register in features:
        register(app, context)
    return app
