"""The "Tag friction" modal: built prefilled with the thread's labels, and read back on submit.

The signature picker lists only the picked domain's signatures. Picking another domain sends a
`block_actions` (the domain input dispatches its action), and the view is rebuilt for it; the
signature block's id names its domain, so Slack shows the new picker's initial option instead
of keeping the old choice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.labels import NOT_FRICTION, Label, signature_in
from bot.ta.tag_actions import Current, Thread
from classifiers import catalog

CALLBACK_ID = "tag_friction_modal"
DOMAIN_BLOCK, DOMAIN_ACTION = "domain", "domain_select"
SIGNATURE_ACTION = "signature_select"
NOTE_BLOCK, NOTE_ACTION = "note", "note_input"
MAX_OPTION_TEXT = 75  # Slack's limit for an option's text
MAX_NOTE = 500
View = dict[str, Any]


def tag_modal(thread: Thread, current: Current, domain: str | None = None) -> View:
    """The modal for `thread`; `domain` is the one picked so far (default: the current one)."""
    domain = domain or (NOT_FRICTION if current.dismissed else current.domain)
    blocks: list[dict[str, Any]] = [
        _mrkdwn_section(f"*Now:* {_describe(current)}"),
        {"type": "context", "elements": [_mrkdwn(_quote(current.text))]},
        {
            "type": "input",
            "block_id": DOMAIN_BLOCK,
            "dispatch_action": True,
            "label": _plain("Domain"),
            "element": {
                "type": "static_select",
                "action_id": DOMAIN_ACTION,
                "placeholder": _plain("Pick the root-cause domain"),
                "options": _domain_options(),
                **({"initial_option": _domain_option(domain)} if domain else {}),
            },
        },
        _signature_block(domain, current.signature),
        {
            "type": "input",
            "block_id": NOTE_BLOCK,
            "optional": True,
            "label": _plain("Note"),
            "element": {
                "type": "plain_text_input",
                "action_id": NOTE_ACTION,
                "multiline": True,
                "max_length": MAX_NOTE,
                "placeholder": _plain("Why, for the audit trail (optional)"),
            },
        },
    ]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps(
            {"team": thread.team_id, "channel": thread.channel_id, "ts": thread.root_ts}
        ),
        "title": _plain("Tag friction"),
        "submit": _plain("Save tag"),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }


class SubmissionError(ValueError):
    """A submitted modal that cannot be saved; `errors` maps block ids to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Submission:
    thread: Thread
    label: Label
    note: str | None


def thread_of(view: View, team_id: str) -> Thread:
    """The thread a modal (or its `block_actions`) is about, from its private metadata."""
    try:
        meta = json.loads(view.get("private_metadata") or "")
        return Thread(meta.get("team") or team_id, meta["channel"], meta["ts"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SubmissionError(
            {DOMAIN_BLOCK: "This form is out of date: open Tag friction on the message again."}
        ) from None


def picked_domain(view: View) -> str | None:
    return _selected(view, DOMAIN_BLOCK, DOMAIN_ACTION)


def read_submission(view: View, team_id: str) -> Submission:
    """The tag a submitted modal asks for, or SubmissionError naming the bad fields."""
    thread = thread_of(view, team_id)
    domain = picked_domain(view)
    cat = catalog()
    if domain == NOT_FRICTION:
        label = Label(None, None)
    elif domain is None or not any(d.id == domain for d in cat.domains):
        raise SubmissionError({DOMAIN_BLOCK: "Pick a domain, or Not friction."})
    else:
        block_id, signature = _signature_choice(view, domain)
        if signature is None or not any(
            s.id == signature and s.domain == domain for s in cat.signatures
        ):
            raise SubmissionError(
                {block_id: f"Pick one of the {cat.domain(domain).label} signatures."}
            )
        label = Label(domain, signature)
    values = view.get("state", {}).get("values", {})
    note = (values.get(NOTE_BLOCK, {}).get(NOTE_ACTION, {}).get("value") or "").strip()
    return Submission(thread, label, note[:MAX_NOTE] or None)


def _selected(view: View, block_id: str, action_id: str) -> str | None:
    state = view.get("state", {}).get("values", {}).get(block_id, {}).get(action_id, {})
    return (state.get("selected_option") or {}).get("value")


def _signature_choice(view: View, domain: str) -> tuple[str, str | None]:
    """The signature picker's block id and value; Slack sends only the view's current one."""
    values = view.get("state", {}).get("values", {})
    block_id, state = next(
        ((b, a[SIGNATURE_ACTION]) for b, a in values.items() if SIGNATURE_ACTION in a),
        (_signature_block_id(domain), {}),
    )
    return block_id, (state.get("selected_option") or {}).get("value")


def _signature_block_id(domain: str) -> str:
    return f"signature_{domain}"


def _signature_block(domain: str | None, current_signature: str | None) -> dict[str, Any]:
    if domain is None:
        return {"type": "context", "elements": [_mrkdwn("Pick a domain to see its signatures.")]}
    if domain == NOT_FRICTION:
        return _mrkdwn_section(
            "Saving dismisses this thread: it stays in the ledger but leaves every figure."
        )
    options = [
        _option(f"{s.id} · {s.title}", s.id) for s in catalog().signatures if s.domain == domain
    ]
    initial = signature_in(domain, current_signature)
    return {
        "type": "input",
        "block_id": _signature_block_id(domain),
        "label": _plain("Signature"),
        "element": {
            "type": "static_select",
            "action_id": SIGNATURE_ACTION,
            "options": options,
            "initial_option": next(o for o in options if o["value"] == initial),
        },
    }


def _describe(current: Current) -> str:
    if current.dismissed:
        return "dismissed by a TA as not friction"
    if current.signature is None:
        return "not counted as friction (the classifier saw no blocker)"
    who = "tagged by a TA" if current.human_tagged else f"classifier, {current.confidence:.0%} sure"
    return f"`{current.signature}` ({who})"


def _domain_options() -> list[dict[str, Any]]:
    return [_domain_option(d.id) for d in catalog().domains] + [_domain_option(NOT_FRICTION)]


def _domain_option(domain: str) -> dict[str, Any]:
    if domain == NOT_FRICTION:
        return _option("Not friction (dismiss)", NOT_FRICTION)
    return _option(catalog().domain(domain).label, domain)


def _option(text: str, value: str) -> dict[str, Any]:
    if len(text) > MAX_OPTION_TEXT:
        text = text[: MAX_OPTION_TEXT - 1] + "…"
    return {"text": _plain(text), "value": value}


def _quote(text: str, limit: int = 280) -> str:
    text = " ".join(text.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"“{text[:limit]}{'…' if len(text) > limit else ''}”" if text else "(no text)"


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _mrkdwn_section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}
