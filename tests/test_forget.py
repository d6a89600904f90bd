"""`friction forget-user` and retention: a learner is forgotten; old text goes, figures stay."""

import json
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlmodel import Session
from sqlmodel import select as sqlmodel_select
from support.demo_ledger import COHORT
from support.friction_cli import friction
from support.live_harness import running_bot, wait_until
from support.slack_samples import HELP_CHANNEL, TEAM_ID, message_event, slash_command, wrap_event

from bot.config import Settings
from bot.context import open_context
from bot.history.forget import apply_retention, forget_user
from bot.history.importer import import_export
from digests.report import build_report
from storage.db import engine_for, upgrade
from storage.erasure import forgotten_among
from storage.models import Incident, Message, Meta, TagEvent
from storage.queries import Window

LABELS = json.loads((COHORT / "labels.json").read_text())


def export_messages() -> list[tuple[str, dict]]:
    """(channel id, message) for every message of the export files."""
    ids = {c["name"]: c["id"] for c in json.loads((COHORT / "channels.json").read_text())}
    return [
        (ids[day.parent.name], m)
        for day in sorted(COHORT.glob("help-*/*.json"))
        for m in json.loads(day.read_text())
    ]


def posted_by() -> Counter[str]:
    """Captured messages per Slack user, counted from the export files themselves."""
    return Counter(
        m["user"]
        for _, m in export_messages()
        if m.get("subtype") in (None, "thread_broadcast", "file_share") and not m.get("bot_id")
    )


# The learner who asked most often (roots of labelled incidents), and a TA.
ROOTS = {(c, m["ts"]): m.get("user") for c, m in export_messages()}
ASKER = Counter(ROOTS[i["channel"], i["ts"]] for i in LABELS["incidents"]).most_common(1)[0][0]
TA = next(u for u in posted_by() if u.startswith("U0DEMOTA"))


def count(context, model, *where) -> int:
    with Session(context.engine) as session:
        query = select(func.count()).select_from(model).where(*where)
        return session.execute(query).scalar_one()


def figures(context) -> list[tuple]:
    with Session(context.engine) as session:
        report = build_report(session, Window())
    return [(d.domain, d.incidents, d.downtime_hours) for d in report.domains] + [
        (s.signature, s.incidents) for s in report.signatures
    ]


def test_forgetting_a_learner_deletes_their_messages_and_incidents(demo_ledger):
    their_hash = demo_ledger.pseudonymize(ASKER)
    theirs = count(demo_ledger, Message, Message.user_hash == their_hash)
    their_incidents = count(demo_ledger, Incident, Incident.asker_hash == their_hash)
    total = count(demo_ledger, Message)
    assert theirs == posted_by()[ASKER] > 0 and their_incidents > 0
    done = forget_user(demo_ledger, ASKER)
    assert (done.messages, done.incidents) == (theirs, their_incidents)
    assert count(demo_ledger, Message, Message.user_hash == their_hash) == 0
    assert count(demo_ledger, Incident, Incident.asker_hash == their_hash) == 0
    assert count(demo_ledger, Message) == total - theirs


def test_a_forgotten_learner_does_not_come_back_on_reimport(demo_ledger):
    forget_user(demo_ledger, ASKER)
    again = import_export(demo_ledger, COHORT)
    assert again.outcomes["ignored"] == posted_by()[ASKER]
    assert again.outcomes["stored"] == 0
    their_hash = demo_ledger.pseudonymize(ASKER)
    assert count(demo_ledger, Message, Message.user_hash == their_hash) == 0


def test_forgetting_a_ta_keeps_their_tags_but_not_their_name(demo_ledger):
    ta_hash = demo_ledger.pseudonymize(TA)
    with Session(demo_ledger.engine) as session:
        incident = session.execute(select(Incident)).scalars().first()
        session.add(
            TagEvent(
                incident_id=incident.id, actor_hash=ta_hash, action="tag", at=datetime.now(UTC)
            )
        )
        session.commit()
    incidents = count(demo_ledger, Incident)
    done = forget_user(demo_ledger, TA)
    assert done.tag_events == 1 and done.messages == posted_by()[TA]
    assert count(demo_ledger, TagEvent) == 1
    assert count(demo_ledger, TagEvent, TagEvent.actor_hash == ta_hash) == 0
    assert count(demo_ledger, Incident) == incidents  # a TA's replies make or break no incident


def test_forget_user_from_the_command_line(tmp_path, sqlite_ledger):
    db = sqlite_ledger
    assert friction("import", str(COHORT), "--db", str(db)).returncode == 0
    result = friction("forget-user", ASKER, "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert f"Forgot {ASKER}: {posted_by()[ASKER]} messages deleted" in result.stdout
    again = friction("forget-user", ASKER, "--db", str(db))
    assert f"Forgot {ASKER}: 0 messages deleted, 0 incidents" in again.stdout
    bad = friction("forget-user", "<@U123>", "--db", str(db))
    assert bad.returncode == 2 and "is not a Slack user id" in bad.stderr


def test_retention_deletes_old_text_and_keeps_every_figure(demo_ledger):
    before = figures(demo_ledger)
    now = datetime(2026, 10, 1, tzinfo=UTC)
    cutoff = datetime(2026, 9, 24, tzinfo=UTC)
    old = count(demo_ledger, Message, Message.posted_at < cutoff)
    expired = apply_retention(demo_ledger, days=7, now=now)
    assert expired == old > 0
    assert count(demo_ledger, Message, Message.posted_at < cutoff, Message.text.is_not(None)) == 0
    assert count(demo_ledger, Message, Message.posted_at >= cutoff, Message.text.is_(None)) == 0
    assert figures(demo_ledger) == before
    # Importing the same export again does not bring the deleted text back.
    again = import_export(demo_ledger, COHORT)
    assert again.outcomes["stored"] == again.outcomes["updated"] == 0
    assert count(demo_ledger, Message, Message.posted_at < cutoff, Message.text.is_not(None)) == 0
    assert apply_retention(demo_ledger, days=7, now=now) == 0


def test_retention_from_the_config_file(tmp_path, sqlite_ledger, sqlite_url):
    db = sqlite_ledger
    assert friction("import", str(COHORT), "--db", str(db)).returncode == 0
    context = open_context(Settings(), sqlite_url)
    with Session(context.engine) as session:
        times = sorted(session.execute(select(Message.posted_at)).scalars())
    middle = times[len(times) // 2]
    days = (datetime.now(UTC) - middle.replace(tzinfo=UTC)).days
    config = tmp_path / "friction.toml"
    config.write_text(f"[retention]\nretention_days = {days}\n")
    result = friction("retention", "apply", "--db", str(db), env={"FRICTION_CONFIG": str(config)})
    assert result.returncode == 0, result.stderr
    expired = count(context, Message, Message.text.is_(None))
    assert 0 < expired < len(times)
    assert f"Deleted the text of {expired} messages" in result.stdout


def test_retention_without_a_period_is_a_precise_error(tmp_path):
    result = friction("retention", "apply", "--db", str(tmp_path / "l.db"))
    assert result.returncode == 2 and "no retention configured" in result.stderr
    config = tmp_path / "friction.toml"
    config.write_text("[retention]\nretention_days = 0\n")
    bad = friction(
        "retention", "apply", "--db", str(tmp_path / "l.db"), env={"FRICTION_CONFIG": str(config)}
    )
    assert bad.returncode == 2 and "retention.retention_days" in bad.stderr


def test_a_forgotten_person_leaves_no_text_hash_or_tag_in_any_file(
    fake_slack, tmp_path, sqlite_url
):
    """Posted and tagged through the running bot, then forgotten: the ledger's and the spool's
    files, and an export made afterwards, hold none of their text, id or hash (as bytes)."""
    person, other = "U0456FRGT", "U0456OTHR"
    config = tmp_path / "friction.toml"
    config.write_text(f'[channels]\nwatch = ["help-*"]\n\n[people]\ntas = ["{person}"]\n')
    url, spool = sqlite_url, tmp_path / "spool.db"
    with running_bot(fake_slack, url, spool, config) as live:
        root = "1731370000.000100"
        for ts, user, text, thread in (
            (root, person, "NUMBAT-2718 iam:PassRole AccessDenied on LabRole", None),
            ("1731370060.000100", other, "same here, NoSuchBucket", None),
            ("1731370120.000100", person, "NUMBAT-2719 still failing", root),
        ):
            event = message_event(text, ts, user=user, thread_ts=thread)
            assert live.sender.event(wrap_event(event)).status == 200
        live.settle()
        link = f"https://cloudlabs.slack.com/archives/{HELP_CHANNEL}/p1731370060000100"
        hook = f"{fake_slack.base_url}/hooks/commands/{TEAM_ID}/1"
        form = slash_command(f"tag {link} s3.no_such_bucket", user_id=person, response_url=hook)
        assert live.sender.command(form).status == 200
        wait_until(lambda: fake_slack.hooks, what="the tag's reply")
        person_hash = live.bot.context.pseudonymize(person).encode()
    with Session(live.engine) as session:
        assert session.exec(sqlmodel_select(func.count()).select_from(TagEvent)).one() == 1
    traces = (b"NUMBAT-27", person.encode(), person_hash)

    def holding(trace: bytes) -> list[str]:
        files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "friction.toml"]
        return [str(p.relative_to(tmp_path)) for p in files if trace in p.read_bytes()]

    # The text and the hash are there to be forgotten; the raw id never is (only its hash).
    assert (holding(b"NUMBAT-27") != [], holding(person_hash) != []) == (True, True)
    env = {"FRICTION_SALT": "test-salt"}
    assert friction("forget-user", person, "--db", url, env=env).returncode == 0
    export = friction("export", "-f", "csv", "--out", str(tmp_path / "later"), "--db", url, env=env)
    assert export.returncode == 0, export.stderr
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "friction.toml"]
    assert {p.name for p in files} >= {"ledger.db", "spool.db"}
    everything = b"".join(p.read_bytes() for p in files)
    assert b"same here" in everything  # the other learner's message stays
    for trace in traces:
        assert holding(trace) == [], trace


def test_the_migration_rekeys_people_forgotten_before_it(empty_db_url):
    """A ledger at 0005 remembers a forgotten person by their hash; 0006 keeps them forgotten
    but by a digest, and the hash leaves the table."""
    engine = engine_for(empty_db_url)
    upgrade(engine, "0005")
    with Session(engine) as session:
        session.add(Meta(key="forgotten:" + "ab" * 16, value="2026-11-01T00:00:00+00:00"))
        session.commit()
    upgrade(engine)
    with Session(engine) as session:
        keys = set(session.exec(sqlmodel_select(Meta.key)).all())
        assert "forgotten:" + "ab" * 16 not in keys
        assert forgotten_among(session, ["ab" * 16, "cd" * 16]) == {"ab" * 16}
    engine.dispose()
