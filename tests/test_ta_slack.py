"""The TA workflow over real HTTP: signed commands and interactions posted to the running app.

The app (`build_app` with the TA workflow, behind the HTTP server) talks to the fake Slack Web
API; replies to a `response_url` land on the fake's hooks. A TA is configured by id
(`U0789TA01`), another only through the TA user group (`U0789TA02`); a lead by id.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session
from support.learner_text import UPLOAD_FAILED
from support.slack_samples import (
    HELP_CHANNEL,
    LEAD,
    LEARNER,
    TA,
    TEAM_ID,
    event_body,
    interaction,
)
from support.ta_app import GROUP_TA, UNSURE, Bot

from classifiers import catalog
from digests.periods import parse_period
from storage.models import Message


def opened_view(fake_slack, count: int = 1) -> dict[str, Any]:
    """The modal the app opened last, as the fake Slack stored it (with its id and hash)."""
    fake_slack.wait_for_call("views.open", count)
    return [v for v in fake_slack.views.values() if v["type"] == "modal"][-1]


def selected(view: dict[str, Any], block_id: str) -> str | None:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    return block["element"].get("initial_option", {}).get("value")


def select_state(block_id: str, action_id: str, value: str) -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": value}, "value": value}
    return {block_id: {action_id: {"type": "static_select", "selected_option": option}}}


def domain_pick(view: dict[str, Any], user: str, domain: str) -> dict[str, Any]:
    """`user` picking `domain` in the open modal `view`: a block_actions from the modal."""
    return interaction(
        "block_actions",
        user={"id": user, "team_id": TEAM_ID},
        container={"type": "view", "view_id": view["id"]},
        view={**view, "state": {"values": select_state("domain", "domain_select", domain)}},
        actions=[{"action_id": "domain_select", "block_id": "domain", "type": "static_select"}],
    )


def pick_domain(bot, view: dict[str, Any], user: str, domain: str):
    return bot.sender.interaction(domain_pick(view, user, domain))


def signatures(domain: str) -> set[str]:
    return {s.id for s in catalog().signatures if s.domain == domain}


def message_text(bot: Bot, ts: str) -> str:
    with Session(bot.context.engine) as session:
        return session.execute(select(Message.text).where(Message.ts == ts)).scalar_one()


def test_a_ta_fixes_a_misclassified_message_with_the_shortcut_and_modal(bot, fake_slack):
    ts = bot.post(UPLOAD_FAILED)
    assert bot.incident(ts).signature_id == "s3.no_such_bucket"

    bot.shortcut(ts)  # click 1: ⋯ → Tag friction
    view = opened_view(fake_slack)
    assert selected(view, "domain") == "s3"  # prefilled with the classification
    assert selected(view, "signature_s3") == "s3.no_such_bucket"
    assert "`s3.no_such_bucket` (classifier" in json.dumps(view["blocks"])

    # Picking another domain rebuilds the signature picker with that domain's signatures only.
    assert pick_domain(bot, view, TA, "iam").status == 200
    updated = fake_slack.views[fake_slack.wait_for_call("views.update").params["view_id"]]
    picker = next(b for b in updated["blocks"] if b.get("block_id") == "signature_iam")
    assert {o["value"] for o in picker["element"]["options"]} == signatures("iam")
    assert selected(updated, "signature_iam") == "iam.other"

    # click 2: Save tag
    answer = bot.submit(updated, domain="iam", signature_iam="iam.passrole", note="LabRole exists")

    assert answer == {}  # the modal closes
    incident = bot.incident(ts)
    assert (incident.signature_id, incident.human_tagged) == ("iam.passrole", True)
    confirm = fake_slack.wait_for_call("chat.postEphemeral").params
    assert (confirm["channel"], confirm["user"]) == (HELP_CHANNEL, TA)
    assert "`iam.passrole`" in confirm["text"] and "was `s3.no_such_bucket`" in confirm["text"]

    # A later edit by the asker is re-classified, but the tag stands.
    edit = event_body("message_changed")
    edit["event"]["message"].update(ts=ts, text=UPLOAD_FAILED + " (still)", user=LEARNER)
    edit["event"]["previous_message"].update(ts=ts, text=UPLOAD_FAILED, user=LEARNER)
    assert bot.sender.event(edit).status == 200
    assert message_text(bot, ts).endswith("(still)")
    assert bot.incident(ts).signature_id == "iam.passrole"


def test_slash_commands_tag_resolve_and_reopen_with_ephemeral_replies(bot, fake_slack):
    root = bot.post(UPLOAD_FAILED)
    reply_ts = bot.post("which bucket name did you use?", user=TA, thread_ts=root)
    reply_link = f"{bot.link(reply_ts)}?thread_ts={root}&cid={HELP_CHANNEL}"

    tagged = bot.command(f"tag {reply_link} iam.passrole LabRole exists")  # a reply's link
    assert tagged["response_type"] == "ephemeral"
    assert "`iam.passrole`" in tagged["text"] and "was `s3.no_such_bucket`" in tagged["text"]
    assert bot.incident(root).signature_id == "iam.passrole"

    resolved = bot.command(f"resolve <{bot.link(root)}>")  # as Slack wraps an escaped link
    assert "Resolved the thread" in resolved["text"]
    assert bot.incident(root).resolved_by == "command"
    assert "already resolved" in bot.command(f"resolve {bot.link(root)}")["text"]

    assert "Re-opened" in bot.command(f"reopen {bot.link(root)} not fixed yet")["text"]
    assert bot.incident(root).resolved_at is None
    assert bot.tag_events() == 3


def test_a_ta_in_the_user_group_may_tag_and_the_group_is_asked_once(bot, fake_slack):
    ts = bot.post(UPLOAD_FAILED)
    for signature in ("s3.bucket_name", "s3.wrong_region"):
        reply = bot.command(f"tag {bot.link(ts)} {signature}", user=GROUP_TA)
        assert f"`{signature}`" in reply["text"]
    assert len(fake_slack.calls_to("usergroups.users.list")) == 1
    assert fake_slack.calls_to("usergroups.users.list")[0].params["usergroup"] == "S0123TAS"


def test_tagging_a_message_the_ledger_missed_reads_its_thread_from_slack(bot, fake_slack):
    # Posted while the bot was away: in Slack's history, never delivered as an event.
    root = fake_slack.post(HELP_CHANNEL, "the console looks different from the screenshots")
    fake_slack.post(HELP_CHANNEL, "thanks, that worked!", thread_ts=root["ts"])

    reply = bot.command(f"tag {bot.link(root['ts'])} cloudformation.stack_failed")

    assert "was not friction" in reply["text"]
    assert fake_slack.calls_to("conversations.replies")[0].params["ts"] == root["ts"]
    incident = bot.incident(root["ts"])
    assert (incident.signature_id, incident.human_tagged) == ("cloudformation.stack_failed", True)
    assert incident.resolved_by == "asker"  # the thread's reply was captured too


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stat", "`stat` is not a /friction subcommand. Did you mean `stats`?"),
        ("tag", "Usage: `/friction tag <message link> <domain|signature|none> [note]`."),
        ("tag https://example.com/x iam", "is not a Slack message link"),
        ("tag https://cloudlabs.slack.com/archives/C0123HELP iam", "does not point at a message"),
        ("tag {link} iam.pasrole", "did you mean `iam.passrole`"),
        ("tag {link} networking", "is not a domain or signature id"),
        ("resolve", "Usage: `/friction resolve <message link> [note]`."),
        ("stats fortnight", "`fortnight` is not a period: use `this-week`, `last-week`"),
        (
            "tag https://cloudlabs.slack.com/archives/C0456LEADS/p1731330000001100 iam",
            "<#C0456LEADS> is not a watched help channel",
        ),
        (
            "tag https://cloudlabs.slack.com/archives/C0123HELP/p1700000000000100 iam",
            "Slack has no such message: was it deleted? Nothing changed.",
        ),
    ],
)
def test_mistakes_get_a_precise_reply_and_change_nothing(bot, text, expected):
    ts = bot.post(UPLOAD_FAILED)
    reply = bot.command(text.format(link=bot.link(ts)))
    assert expected in reply["text"]
    assert bot.tag_events() == 0
    assert bot.incident(ts).signature_id == "s3.no_such_bucket"


def test_a_learner_or_a_lead_cannot_change_anything_on_any_path(bot, fake_slack):
    ts = bot.post(UPLOAD_FAILED)
    for user in (LEARNER, LEAD):
        reply = bot.command(f"tag {bot.link(ts)} iam.passrole", user=user)
        assert "Only TAs can tag" in reply["text"] and "Nothing changed" in reply["text"]
        assert "Only TAs" in bot.command(f"resolve {bot.link(ts)}", user=user)["text"]

        refusal = bot.hook(bot.shortcut(ts, user=user))
        assert refusal["response_type"] == "ephemeral" and "Only TAs" in refusal["text"]

    assert (
        "Stats and digest previews are for TAs and course leads"
        in (bot.command("stats", user=LEARNER)["text"])
    )
    # A submission forged (or kept open) by someone who is not a TA is refused in the modal.
    bot.shortcut(ts)
    view = opened_view(fake_slack)
    answer = bot.submit(view, user=LEARNER, domain="iam", signature_iam="iam.passrole")
    assert answer["response_action"] == "errors" and "Only TAs" in answer["errors"]["domain"]

    assert fake_slack.calls_to("views.open") and len(fake_slack.calls_to("views.open")) == 1
    assert fake_slack.calls_to("chat.postEphemeral") == []
    assert bot.tag_events() == 0
    incident = bot.incident(ts)
    assert (incident.signature_id, incident.human_tagged) == ("s3.no_such_bucket", False)


def test_modal_validation_errors_come_back_in_the_modal(bot, fake_slack):
    ts = bot.post(UPLOAD_FAILED)
    bot.shortcut(ts)
    view = opened_view(fake_slack)

    answer = bot.submit(view, domain="s3", signature_s3="iam.passrole")  # not an S3 signature
    assert answer == {
        "response_action": "errors",
        "errors": {"signature_s3": "Pick one of the Storage Services (S3) signatures."},
    }
    stale = {**view, "private_metadata": "{}"}
    answer = bot.submit(stale, domain="s3", signature_s3="s3.other")
    assert "out of date" in answer["errors"]["domain"]
    assert bot.tag_events() == 0 and fake_slack.calls_to("chat.postEphemeral") == []


def test_not_friction_in_the_modal_dismisses_the_thread(bot, fake_slack):
    ts = bot.post(UNSURE)
    bot.shortcut(ts)
    assert bot.submit(opened_view(fake_slack), domain="none") == {}
    assert bot.incident(ts).dismissed
    assert "Dismissed" in fake_slack.wait_for_call("chat.postEphemeral").params["text"]
    stats = bot.command("stats 7d", user=LEAD)
    assert "*0* incidents" in json.dumps(stats["blocks"])


def test_a_lead_sees_stats_and_a_digest_preview(bot, fake_slack):
    for text in (UPLOAD_FAILED, UPLOAD_FAILED, UNSURE):
        bot.post(text)
    stats = bot.command("stats this-week", user=LEAD)
    assert stats["response_type"] == "ephemeral"
    week = parse_period("this-week", "UTC")
    assert stats["text"] == f"Friction {week.label}"
    blocks = json.dumps(stats["blocks"])
    assert "*3* incidents" in blocks and "1 awaiting triage" in blocks
    assert "Storage Services (S3)" in blocks and "66.7 %" in blocks
    assert "`s3.no_such_bucket` (2)" in blocks

    preview = bot.command("digest", user=LEAD)
    assert preview["response_type"] == "ephemeral"
    assert preview["text"].startswith(f"Friction digest {week.key}: 3 incidents")
    blocks = json.dumps(preview["blocks"])
    assert preview["blocks"][0]["text"]["text"] == f"Friction digest · {week.label}"
    assert "Preview, only for you" in blocks
    assert "Storage Services (S3)" in blocks
    # Example threads link to the workspace that auth.test names.
    assert "https://cloudlabs.slack.com/archives/C0123HELP/p" in blocks
    assert fake_slack.calls_to("chat.postMessage") == []  # a preview posts nothing


def test_app_home_shows_a_lead_the_weeks_figures_and_a_learner_an_explanation(bot, fake_slack):
    for text in (UPLOAD_FAILED, UNSURE):
        bot.post(text)
    unsure_ts = fake_slack.messages(HELP_CHANNEL)[-1]["ts"]

    assert bot.sender.event(event_body("app_home_opened", user=LEAD)).status == 200
    publish = fake_slack.wait_for_call("views.publish")
    assert publish.params["user_id"] == LEAD
    home = json.dumps(fake_slack.home_views[LEAD]["blocks"])
    assert f"Friction {parse_period('this-week', 'UTC').label}" in home
    assert "*2* incidents" in home
    assert "Storage Services (S3)" in home and "50.0 %" in home
    assert "*Awaiting triage* (1)" in home
    assert f"archives/{HELP_CHANNEL}/p{unsure_ts.replace('.', '')}" in home

    assert bot.sender.event(event_body("app_home_opened", user=LEARNER)).status == 200
    fake_slack.wait_for_call("views.publish", 2)
    learner = json.dumps(fake_slack.home_views[LEARNER]["blocks"])
    assert "salted hash" in learner and "incidents," not in learner


def test_the_sample_shortcut_and_submission_retag_the_sample_incident(bot, fake_slack):
    ts = "1731330000.001100"  # the samples' PassRole incident
    assert bot.sender.event(event_body("message")).status == 200
    assert bot.incident(ts).signature_id == "iam.passrole"

    assert bot.sender.interaction(interaction("message_action")).status == 200
    assert selected(opened_view(fake_slack), "signature_iam") == "iam.passrole"

    submission = interaction("view_submission")
    picked = submission["view"]["state"]["values"]["signature"]["signature_select"]
    picked["selected_option"]["value"] = "iam.trust_policy"
    answer = bot.sender.interaction(submission)

    assert (answer.status, answer.body) == (200, b"")
    assert bot.incident(ts).signature_id == "iam.trust_policy"
    assert "was `iam.passrole`" in fake_slack.wait_for_call("chat.postEphemeral").params["text"]


def test_the_domain_picker_answers_a_ta_only(bot, fake_slack):
    """A view kept open or forged by a learner or a lead shows them nothing new."""
    bot.shortcut(bot.post(UPLOAD_FAILED))
    view = opened_view(fake_slack)
    for user in (LEARNER, LEAD):
        assert pick_domain(bot, view, user, "iam").status == 200
    assert fake_slack.calls_to("views.update") == []  # the listener ran before the answer
    assert pick_domain(bot, view, GROUP_TA, "iam").status == 200
    [update] = fake_slack.calls_to("views.update")
    assert "signature_iam" in json.dumps(update.params["view"])


def test_a_domain_pick_without_team_rebuilds_the_modal_with_no_error(bot, fake_slack, caplog):
    """`team` is optional in a block_actions (the edge lets it through): the user's team_id
    stands in, as for the hint buttons, instead of a KeyError logged as an ERROR."""
    bot.shortcut(bot.post(UPLOAD_FAILED))
    payload = domain_pick(opened_view(fake_slack), TA, "iam")
    del payload["team"]
    assert bot.sender.interaction(payload).status == 200
    update = fake_slack.wait_for_call("views.update")
    assert "signature_iam" in json.dumps(update.params["view"])
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_modal_about_a_thread_the_ledger_lacks_changes_nothing(bot, fake_slack):
    """A forged or stale private_metadata naming no incident: no rebuild, an error, no tag."""
    bot.shortcut(bot.post(UPLOAD_FAILED))
    view = opened_view(fake_slack)
    meta = json.loads(view["private_metadata"])
    forged = {**view, "private_metadata": json.dumps({**meta, "ts": "1600000000.000100"})}
    assert pick_domain(bot, forged, TA, "iam").status == 200
    assert fake_slack.calls_to("views.update") == []
    answer = bot.submit(forged, domain="iam", signature_iam="iam.passrole")
    assert answer["response_action"] == "errors" and answer["errors"]["domain"]
    assert bot.tag_events() == 0
