"""Labelled sets as threads: the loader's context, and `friction eval`'s per-label figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.friction_cli import friction
from support.learner_text import NO_SUCH_BUCKET

from classifiers.evaluate import LabelledSetError, load_examples
from classifiers.labelled import ThreadContext

REAL_DEV = Path(__file__).parent / "data" / "real" / "dev.jsonl"

PASSROLE = "An error occurred (AccessDenied) when calling the PassRole operation"
THREAD = {
    "source": "https://github.com/example/lab/issues/7",
    "kind": "github-issue",
    "messages": [
        {
            "role": "asker",
            "text": f"Deploying the lab stack fails: {PASSROLE}",
            "is_incident": True,
            "domain": "iam",
            "signature": "iam.passrole",
        },
        {
            "role": "helper",
            "text": "Give your user iam:PassRole on LabRole and try again.",
            "is_incident": False,
            "domain": None,
            "signature": None,
        },
        {
            "role": "asker",
            "text": "Now the upload says NoSuchBucket: The specified bucket does not exist",
            "is_incident": True,
            "domain": "s3",
            "signature": "s3.no_such_bucket",
        },
        {
            "role": "other",
            "text": "same here",
            "is_incident": False,
            "domain": None,
            "signature": None,
        },
    ],
}
FLAT = {"text": "thanks all!", "is_incident": False, "domain": None, "signature": None}


def write_lines(path: Path, *rows: dict) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_a_thread_yields_its_messages_in_order_with_their_context(tmp_path):
    examples = load_examples(write_lines(tmp_path / "set.jsonl", THREAD, FLAT))
    source = THREAD["source"]
    assert [e.text for e in examples] == [m["text"] for m in THREAD["messages"]] + [FLAT["text"]]
    assert [e.reply for e in examples] == [False, True, True, True, False]
    assert [e.context for e in examples] == [
        ThreadContext(0, True, source),
        ThreadContext(1, False, source),
        ThreadContext(2, True, source),
        ThreadContext(3, False, source),
        None,
    ]
    assert examples[2].signature == "s3.no_such_bucket"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"role": "ta"}, r"set.jsonl:1: message 2: field 'role' must be one of asker"),
        ({"reply": True}, r"set.jsonl:1: message 2: field 'reply' comes from the position"),
        ({"signature": "iam.passrole"}, r"message 2: field 'signature' must be null"),
    ],
)
def test_a_malformed_thread_message_is_named(tmp_path, change, error):
    thread = json.loads(json.dumps(THREAD))
    thread["messages"][1].update(change)
    with pytest.raises(LabelledSetError, match=error):
        load_examples(write_lines(tmp_path / "set.jsonl", thread))


def test_an_empty_thread_is_refused(tmp_path):
    with pytest.raises(LabelledSetError, match=r"set.jsonl:1: field 'messages' must be"):
        load_examples(write_lines(tmp_path / "set.jsonl", {"source": "x", "messages": []}))


def test_the_real_dev_corpus_loads_as_threads():
    examples = load_examples(REAL_DEV)
    roots = [e for e in examples if e.context and e.context.position == 0]
    assert len(examples) >= 1000
    assert len(roots) == len({e.context.source for e in examples if e.context})
    assert all(not e.reply for e in roots)
    assert all(e.reply for e in examples if e.context and e.context.position > 0)
    assert any(e.is_incident and e.reply and e.context.by_asker for e in examples)


@pytest.mark.parametrize(
    ("name", "labelled", "incidents"),
    [
        ("second_annotator.jsonl", 160, 155),
        ("second_annotator2.jsonl", 100, 98),
        ("second_annotator3.jsonl", 100, 101),
    ],
)
def test_the_second_annotators_labels_cover_dev_threads_only_message_for_message(
    name, labelled, incidents
):
    """Agreement is measured on dev: a test-split thread labelled twice would be read. (The
    second file: 100 threads of rounds 24 to 28, labelled blind in session 12; the third, 100 of
    rounds 29 to 33, in session 13.)"""
    second = REAL_DEV.with_name(name)
    dev = {t["source"]: t for t in map(json.loads, REAL_DEV.read_text().splitlines())}
    threads = [json.loads(line) for line in second.read_text().splitlines()]
    assert len(threads) == labelled and {t["source"] for t in threads} <= dev.keys()
    for thread in threads:
        texts = [m["text"] for m in dev[thread["source"]]["messages"]]
        assert [m["text"] for m in thread["messages"]] == texts, thread["source"]
    assert sum(e.is_incident for e in load_examples(second)) == incidents


def test_friction_eval_scores_a_thread_file_per_domain_and_signature(tmp_path):
    path = write_lines(tmp_path / "set.jsonl", THREAD)
    scored = friction("eval", str(path), "--json")
    assert scored.returncode == 0, scored.stderr
    figures = json.loads(scored.stdout)
    assert (figures["n"], figures["incidents"]) == (4, 2)
    domains = {row["label"]: row for row in figures["domains"]}
    assert domains["iam"] == {
        "label": "iam",
        "gold": 1,
        "predicted": 1,
        "precision": 1.0,
        "recall": 1.0,
    }
    assert {row["label"] for row in figures["signatures"]} >= {"iam.passrole", "s3.no_such_bucket"}
    table = friction("eval", str(path))
    assert table.returncode == 0, table.stderr
    for title in ("per domain", "per signature", "iam.passrole", "precision", "recall"):
        assert title in table.stdout


def test_friction_eval_lists_what_was_missed_and_what_was_filed_wrongly(tmp_path):
    thread = json.loads(json.dumps(THREAD))
    # Relabelled: the S3 report is filed by the rules as s3.no_such_bucket, gold says s3.other.
    thread["messages"][2]["signature"] = "s3.other"
    scored = friction("eval", str(write_lines(tmp_path / "set.jsonl", thread)), "--json")
    figures = json.loads(scored.stdout)
    signatures = {row["label"]: row for row in figures["signatures"]}
    assert signatures["s3.other"]["recall"] == 0.0
    assert signatures["s3.no_such_bucket"]["precision"] == 0.0
    assert figures["domains"][0]["recall"] == 1.0
    assert {"gold": "s3.other", "predicted": "s3.no_such_bucket", "count": 1} in figures[
        "confusions"
    ]


def test_friction_eval_names_the_line_of_a_bad_thread(tmp_path):
    thread = json.loads(json.dumps(THREAD))
    del thread["messages"][0]["role"]
    failed = friction("eval", str(write_lines(tmp_path / "set.jsonl", FLAT, thread)))
    assert failed.returncode == 2
    assert "set.jsonl:2: message 1: field 'role'" in failed.stderr


def test_friction_eval_reads_a_thread_file_message_by_message_in_its_thread(tmp_path):
    thread = {
        "source": "https://example.org/thread/1",
        "messages": [
            {
                "role": "asker",
                "text": NO_SUCH_BUCKET,
                "is_incident": True,
                "domain": "s3",
                "signature": "s3.no_such_bucket",
            },
            {
                "role": "other",
                "text": f"same here: {NO_SUCH_BUCKET}",
                "is_incident": False,
                "domain": None,
                "signature": None,
            },
        ],
    }
    path = write_lines(tmp_path / "threads.jsonl", thread)
    figures = json.loads(friction("eval", str(path), "--json").stdout)
    assert (figures["n"], figures["incidents"]) == (2, 1)
    assert figures["incident_precision"] == figures["signature_accuracy"] == 1.0
    del thread["messages"][1]["role"]
    write_lines(path, thread)
    broken = friction("eval", str(path))
    assert broken.returncode == 2
    assert "threads.jsonl:1: message 2: field 'role' must be one of asker" in broken.stderr
