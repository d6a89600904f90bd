"""`friction tags`: the audit trail on the command line, as a user runs it."""

from datetime import UTC, datetime, timedelta

from support.friction_cli import friction
from support.learner_text import NO_SUCH_BUCKET

from bot.config import Settings
from bot.context import open_context
from bot.ingest.capture import CapturedMessage
from bot.labels import parse_label
from bot.ta.tag_actions import TagActions, Thread

TEAM, CHANNEL, TA = "T0123ABCD", "C0123HELP", "U0789TA01"


def test_tags_lists_recent_changes_newest_first(sqlite_ledger, sqlite_url):
    db = sqlite_ledger
    context = open_context(Settings(FRICTION_SALT="s"), sqlite_url)
    now = datetime.now(UTC)
    old_ts, new_ts = f"{(now - timedelta(days=20)).timestamp():.6f}", f"{now.timestamp():.6f}"
    for ts in (old_ts, new_ts):
        context.ingestor.add(CapturedMessage(TEAM, CHANNEL, ts, NO_SUCH_BUCKET, user_id="U1"))
    TagActions(context, now=lambda: now - timedelta(days=10)).label(
        Thread(TEAM, CHANNEL, old_ts), parse_label("iam"), TA
    )
    actions = TagActions(context, now=lambda: now)
    actions.label(Thread(TEAM, CHANNEL, new_ts), parse_label("iam.passrole"), TA, "LabRole exists")
    TagActions(context, now=lambda: now + timedelta(seconds=1)).label(
        Thread(TEAM, CHANNEL, new_ts), parse_label("none"), TA
    )

    result = friction("tags", "--db", str(db))

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["When", "(UTC)", "Action"]
    assert len(lines) == 3  # the tag 10 days ago is older than the default 7 days
    assert "dismiss" in lines[1] and "iam.passrole -> not friction" in lines[1]
    assert "tag" in lines[2] and "s3.no_such_bucket -> iam.passrole" in lines[2]
    assert lines[2].endswith("LabRole exists") and f"{CHANNEL} {new_ts}" in lines[2]
    assert TA not in result.stdout

    since = (now - timedelta(days=11)).strftime("%Y-%m-%d")
    assert len(friction("tags", "--since", since, "--db", str(db)).stdout.splitlines()) == 4


def test_tags_says_so_when_nothing_changed_and_rejects_a_bad_date(tmp_path):
    db = str(tmp_path / "empty.db")
    assert "No TA changes since" in friction("tags", "--db", db).stdout
    bad = friction("tags", "--since", "last tuesday", "--db", db)
    assert bad.returncode == 2 and "--since takes a date like" in bad.stderr
