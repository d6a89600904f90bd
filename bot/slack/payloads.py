"""The shape of each Slack payload the app reads, checked before Bolt sees it.

Bolt's middlewares and our listeners index payloads directly (`body["user"]["id"]`,
`event["channel"]` taken for a string): a signed payload of another shape made them raise, and
the request answered 500 with an ERROR traceback. Slack always sends these fields with these
types, so a payload without them is malformed: the edge answers 400, Socket Mode acks it, both
with one WARNING line naming the field (never its value). Fields not listed pass unchecked.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictStr, ValidationError, model_validator

Text = StrictStr | None


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Id(_Loose):
    id: StrictStr


class _Item(_Loose):
    type: Text = None
    channel: Text = None
    ts: Text = None


class _Event(_Loose):
    type: StrictStr
    channel: Text = None
    user: Text = None
    team: Text = None
    ts: Text = None
    thread_ts: Text = None
    event_ts: Text = None
    deleted_ts: Text = None
    subtype: Text = None
    text: Text = None
    reaction: Text = None
    tab: Text = None
    item: _Item | None = None
    message: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _has_its_place(self) -> _Event:
        if self.type == "message" and not (self.channel and self.ts):
            raise ValueError("a message event needs channel and ts")
        if self.type.startswith("reaction_") and not (self.item and self.item.ts):
            raise ValueError("a reaction event needs its item's ts")
        return self


class EventCallback(_Loose):
    type: Literal["event_callback"]
    team_id: StrictStr
    event_id: StrictStr
    event: _Event


class UrlVerification(_Loose):
    type: Literal["url_verification"]
    challenge: StrictStr


class _Container(_Loose):
    type: StrictStr
    channel_id: Text = None
    message_ts: Text = None

    @model_validator(mode="after")
    def _message_has_its_place(self) -> _Container:
        if self.type == "message" and not (self.channel_id and self.message_ts):
            raise ValueError("a message container needs channel_id and message_ts")
        return self


class _View(_Loose):
    id: StrictStr
    hash: Text = None
    callback_id: Text = None
    private_metadata: Text = None
    state: dict[str, Any] | None = None


class BlockActions(_Loose):
    type: Literal["block_actions"]
    user: _Id
    team: _Id | None = None
    actions: list[dict[str, Any]]
    container: _Container
    view: _View | None = None

    @model_validator(mode="after")
    def _view_container_has_its_view(self) -> BlockActions:
        if self.container.type == "view" and not (self.view and self.view.hash):
            raise ValueError("an action in a view needs the view, with its hash")
        return self


def action_team(body: dict[str, Any]) -> str:
    """The team a block_actions comes from: its `team` is optional (above), so the user's
    `team_id` stands in, then "" (a thread's own team, kept in the view, may still name it)."""
    return (body.get("team") or {}).get("id") or body["user"].get("team_id", "")


class ViewSubmission(_Loose):
    type: Literal["view_submission"]
    user: _Id
    team: _Id
    view: _View


class MessageAction(_Loose):
    type: Literal["message_action"]
    user: _Id
    team: _Id
    channel: _Id
    callback_id: StrictStr
    trigger_id: StrictStr
    message_ts: StrictStr
    message: dict[str, Any] | None = None


class SlashCommand(_Loose):
    command: StrictStr
    user_id: StrictStr
    team_id: StrictStr
    text: StrictStr = ""


_SHAPES: dict[str | None, type[_Loose]] = {
    "event_callback": EventCallback,
    "url_verification": UrlVerification,
    "block_actions": BlockActions,
    "view_submission": ViewSubmission,
    "message_action": MessageAction,
    None: SlashCommand,  # a form with no type: a slash command
}


def shape_problem(payload: dict[str, Any]) -> str | None:
    """What is wrong with `payload`'s shape (field and error, no value), or None.

    A payload of a type not listed (Bolt answers those it has no listener for with 404) and a
    form without a `command` (not a slash command) pass as they are.
    """
    kind = payload.get("type")
    if kind is not None and not isinstance(kind, str):
        return "type: not a string"
    if kind is None and "command" not in payload:
        return None
    shape = _SHAPES.get(kind)
    if shape is None:
        return None
    try:
        shape.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        return f"{kind or 'command'} {where}: {first['msg']}"
    try:  # JSON may escape half a surrogate pair ("\ud800"): no database can store that text
        json.dumps(payload, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return f"{kind or 'command'}: text that is not Unicode (a lone surrogate)"
    return None
