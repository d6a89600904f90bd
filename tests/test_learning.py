"""TAs' tags teach the classifier: `friction train` adds them to the packaged second opinion,
`friction reclassify` applies the catalog and model to history and never touches a human tag."""

from collections import Counter

from support.friction_cli import friction
from support.learner_text import PASSROLE
from support.ledger_rows import incidents, tag_by_hand

from bot.config import Settings
from bot.context import open_context
from bot.ingest.capture import CapturedMessage
from bot.labels import parse_label
from bot.ta.tag_actions import TagActions, Thread
from classifiers import SecondOpinion, packaged_second_opinion

# A course's own wording the catalog cannot place: its grader's LABCHK errors, which TAs know
# come from the lab's CloudFormation stack.
GRADER = [
    "I get error LABCHK-{n} when the grader runs, it fails",
    "I get error LABCHK-{n} from the grader on step 4, it fails",
    "the grader run fails, i get error LABCHK-{n} on step 4",
]
T0 = 1_790_000_000


def _ledger(db_url: str):
    context = open_context(Settings(FRICTION_SALT="s"), db_url)
    for i in range(12):
        text = GRADER[i % 3].format(n=100 + i) if i % 2 == 0 else PASSROLE
        context.ingestor.add(CapturedMessage("T1", "C1", _ts(i), text, f"U{i}"))
    return context


def _ts(i: int) -> str:
    """When the ledger's message `i` was posted."""
    return f"{T0 + i * 60}.000100"


def _tag(context, indexes, signature: str) -> None:
    """A TA tags the messages at `indexes` by hand."""
    tag_by_hand(context, map(_ts, indexes), signature)


def _tag_then_dismiss(context, i: int) -> None:
    """A TA tags the thread at `i`, then dismisses it (`/friction tag <link> none`)."""
    ta, thread = TagActions(context), Thread("T1", "C1", _ts(i))
    ta.label(thread, parse_label("s3"), "UTA")
    ta.label(thread, parse_label("none"), "UTA")


def _incidents(context) -> list[tuple[str, bool, str]]:
    return [(i.signature_id, i.human_tagged, i.classifier_version) for i in incidents(context)]


def test_train_refuses_without_tags_then_teaches_the_courses_wording(db_url, tmp_path):
    context = _ledger(db_url)
    env = {"DATABASE_URL": db_url, "FRICTION_SALT": "s"}
    model = tmp_path / "m.json"
    refused = friction("train", "--out", str(model), env=env)
    assert refused.returncode == 2 and "cannot train yet" in refused.stderr
    grader, passrole = (0, 2, 4, 6, 8, 10), (1,)
    _tag(context, grader, "cloudformation.stack_failed")
    _tag(context, passrole, "iam.passrole")
    _tag_then_dismiss(context, 3)  # not friction after all: nothing to learn from
    trained = friction("train", "--out", str(model), env=env)
    assert trained.returncode == 0, trained.stderr
    assert "the packaged model, 7 TA-tagged incidents and 1 dismissed" in trained.stdout
    assert f'set model = "{model}" under [classifier]' in trained.stdout
    # Refined from the packaged model: its documents and the tags' (the dismissed one is none);
    # what reports a blocker learns the seven tagged roots, and the dismissed one as no report.
    tags = Counter(cloudformation=len(grader), iam=len(passrole))
    packaged = packaged_second_opinion()
    refined = SecondOpinion.load(model)
    assert refined.documents == dict(Counter(packaged.documents) + tags)
    assert refined.blockers and packaged.blockers
    grew = Counter(refined.blockers.documents) - Counter(packaged.blockers.documents)
    assert grew == Counter(blocker=7, none=1)
    # The packaged model never saw "LABCHK" or "grader"; six tags teach it the course's word,
    # and the failure the TAs filed it under.
    unseen = "I get error LABCHK-512 when the grader runs, it fails"
    assert '"signature": "other.other"' in friction("classify", "--json", unseen).stdout
    taught = friction("classify", "--json", "--model", str(model), unseen).stdout
    assert '"signature": "cloudformation.stack_failed"' in taught


def test_reclassify_applies_the_model_to_history_and_never_touches_tags(db_url, tmp_path):
    context = _ledger(db_url)
    _tag(context, (0, 2, 4, 6), "cloudformation.stack_failed")
    _tag(context, (1,), "iam.passrole")
    env = {"DATABASE_URL": db_url, "FRICTION_SALT": "s"}
    unchanged = friction("reclassify", env=env)
    assert unchanged.returncode == 0, unchanged.stderr
    assert "no incident changed" in unchanged.stdout
    model = tmp_path / "m.json"
    assert friction("train", "--out", str(model), env=env).returncode == 0
    config = tmp_path / "friction.toml"
    config.write_text(f'[classifier]\nmodel = "{model}"\n')
    taught = friction("reclassify", env={**env, "FRICTION_CONFIG": str(config)})
    assert taught.returncode == 0, taught.stderr
    assert "2 other.other -> cloudformation.stack_failed" in " ".join(taught.stdout.split())
    after = _incidents(context)
    grader = [after[i] for i in (0, 2, 4, 6, 8, 10)]
    assert [sig for sig, _, _ in grader] == ["cloudformation.stack_failed"] * 6
    assert [tagged for _, tagged, _ in grader] == [True] * 4 + [False] * 2
    trained = SecondOpinion.load(model).version
    assert all(version.endswith(f"+{trained}") for *_, version in grader[4:])
    assert after[1][:2] == ("iam.passrole", True)
    back = friction("reclassify", env=env)  # with the packaged model, history returns to it
    assert "2 cloudformation.stack_failed -> other.other" in " ".join(back.stdout.split())
    assert [sig for sig, _, _ in _incidents(context)][:5] == [
        "cloudformation.stack_failed",
        "iam.passrole",
        "cloudformation.stack_failed",
        "iam.passrole",
        "cloudformation.stack_failed",
    ]


def test_train_into_a_folder_that_does_not_exist_says_so_in_one_line(db_url, tmp_path):
    context = _ledger(db_url)
    _tag(context, (0,), "cloudformation.stack_failed")
    out = tmp_path / "missing" / "dir" / "m.json"
    env = {"DATABASE_URL": db_url, "FRICTION_SALT": "s"}
    shown = friction("train", "--out", str(out), env=env)
    assert shown.returncode == 2
    [line] = shown.stderr.splitlines()
    assert line.startswith(f"Error: cannot write {out}: ") and "Traceback" not in shown.stderr
