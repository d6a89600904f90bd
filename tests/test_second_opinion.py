"""The second opinion: Complement Naive Bayes models asked about every incident's domain and about
the roots the rules let pass, on by default; `friction train` refines them with TAs' tags."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from support.friction_cli import friction
from support.learner_text import PASSROLE
from support.ledger_rows import incidents

from bot.config import ConfigError, Settings
from bot.context import open_context
from bot.ingest.capture import CapturedMessage
from classifiers import (
    Classifier,
    SecondOpinion,
    SecondOpinionError,
    classify,
    packaged_rules,
    packaged_second_opinion,
)
from classifiers.classifier import BLOCKER, CONFIDENT, FAILURE, OVERRULE
from classifiers.learned import PACKAGED
from classifiers.normalize import normalize

ROOT = Path(__file__).parents[1]

# A course's own word ("zorblax") that only a model taught on it can place.
TEACHING = (
    [(f"the zorblax step {i} broke again", "s3") for i in range(6)]
    + [(f"python handler {i} crashed with a traceback", "lambda") for i in range(6)]
    + [(f"the ec2 instance {i} would not boot", "ec2") for i in range(5)]
    + [("zorblax crashed, instance would not boot", "ec2")]
)
# Four words of a course's own, taught under S3 alone: a model all but certain of them.
SPROCKET = [(f"the zorblax quintor vellum sprocket {i} broke again", "s3") for i in range(6)]
# Failures inside domains: the course's word taught as Lambda's timeouts.
FAILURES = (
    [(f"the zorblax step {i} broke again", "lambda.timeout") for i in range(6)]
    + [(f"set the region {i} in the client config", "lambda.sdk_config") for i in range(6)]
    + [(f"zorblax step {i}: not authorized", "iam.missing_permission") for i in range(6)]
    + [(f"passrole {i} on the lab role", "iam.passrole") for i in range(3)]
    + [(f"{bucket} bucket is not there", "s3.no_such_bucket") for bucket in ("my", "the")]
    + [("the zorblax step 9 broke again", "s3.other")]
)
# Messages that report nothing, for the model of what reports a blocker.
CHATTER = [
    "thanks, that worked",
    "thanks, the bucket policy fix worked",
    "when is lab 3 due?",
    "try adding the policy to the role",
    "you can check the bucket policy in the console",
    "the lab is due on sunday, ask here if stuck",
]
# Filed by the rules under lambda.sdk_config by its cues alone; its "different region" is also a
# cue of s3.wrong_region.
UNNAMED = (
    "the zorblax step fails in my lambda function, bucket region is us-east-1, different region"
)
# From tests/data/holdout2.jsonl (labelled vpc.connectivity): the rules read ec2.invalid_resource.
ROUTE = (
    'instance in my "public" subnet has a public IP but curl to anything outside just hangs. '
    "the route table only has the local route"
)


def test_the_counts_give_scikit_learns_complement_nb_probabilities(tmp_path):
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import ComplementNB

    examples = [
        *TEACHING,
        ("AccessDenied when calling PutObject on my bucket", "s3"),
        ("AccessDenied: not authorized to perform iam:PassRole", "iam"),
        ("is not authorized to perform: iam:PassRole on the role", "iam"),
        ("Task timed out after 3.00 seconds", "lambda"),
        ("`bucket` &gt; <https://example.com|the console> says no such bucket", "s3"),
    ]
    vectorizer = CountVectorizer(binary=True, ngram_range=(1, 2), min_df=2)
    features = vectorizer.fit_transform([normalize(t).lower() for t, _ in examples])
    reference = ComplementNB(alpha=0.3).fit(features, [d for _, d in examples])
    path = tmp_path / "model.json"
    SecondOpinion.fit(examples).save(path)
    model = SecondOpinion.load(path)
    texts = [
        UNNAMED,
        "zorblax zorblax broke",
        "AccessDenied on PutObject, not authorized",
        "My Lambda function timed out after 3 seconds",
        "nothing this model has seen",
        "",
        "é ü 日本語 the_bucket x y",
    ]
    expected = reference.predict_proba(vectorizer.transform([normalize(t).lower() for t in texts]))
    for text, probabilities in zip(texts, expected, strict=True):
        domain, probability = model.predict(text)
        best = probabilities.argmax()
        assert domain == reference.classes_[best], text
        assert probability == pytest.approx(probabilities[best], abs=1e-9), text
    # What reports a blocker: the same model over two labels, fitted on every message.
    messages = [(t, True) for t, _ in examples] + [(t, False) for t in CHATTER]
    features = vectorizer.fit_transform([normalize(t).lower() for t, _ in messages])
    reference = ComplementNB(alpha=0.3).fit(features, [b for _, b in messages])
    SecondOpinion.fit(examples, messages).save(path)
    model = SecondOpinion.load(path)
    expected = reference.predict_proba(vectorizer.transform([normalize(t).lower() for t in texts]))
    for text, probabilities in zip(texts, expected, strict=True):
        blocker = probabilities[list(reference.classes_).index(True)]
        assert model.blocker(text) == pytest.approx(blocker, abs=1e-9), text


def test_the_packaged_model_is_what_the_training_script_writes_today(tmp_path):
    out = tmp_path / "second_opinion.json"
    script = ROOT / "scripts" / "train_second_opinion.py"
    done = subprocess.run(
        [sys.executable, str(script), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == PACKAGED.read_bytes(), (
        "classifiers/second_opinion.json is stale: run python scripts/train_second_opinion.py"
    )
    assert "incidents" in done.stdout


def test_a_term_a_ta_tagged_once_counts_though_fitting_drops_it():
    """Fitting drops the corpus's single words (mostly noise); a TA's tag is deliberate."""
    assert "quux" not in SecondOpinion.fit([*TEACHING, ("quux", "ec2")]).counts["ec2"]
    assert SecondOpinion.fit(TEACHING).refined([("quux", "ec2")]).counts["ec2"]["quux"] == 1


def test_a_model_knowing_a_domain_or_signature_the_catalog_lacks_is_refused():
    model = SecondOpinion.fit([*TEACHING, ("the queue keeps my message", "sqs")])
    with pytest.raises(SecondOpinionError, match=r"the catalog does not: sqs$"):
        Classifier(second_opinion=model)
    model = SecondOpinion.fit(TEACHING, failures=[*FAILURES, ("zorblax ate it", "s3.zorblax")])
    with pytest.raises(SecondOpinionError, match=r"the catalog does not: s3\.zorblax$"):
        Classifier(second_opinion=model)


def test_a_named_failure_moves_only_when_the_model_is_all_but_certain():
    """A pattern's reading stands against a sure model, not an all but certain one; moved, it
    takes the failure a pattern names in its new domain."""
    named = f"zorblax step: {PASSROLE}"
    sure = SecondOpinion.fit(TEACHING)
    domain, probability = sure.predict(named)
    assert domain == "s3" and CONFIDENT <= probability < OVERRULE
    assert Classifier(second_opinion=sure).classify(named) == classify(named)
    assert classify(named).signature == "iam.passrole"
    certain = SecondOpinion.fit(TEACHING + SPROCKET)
    text = f"zorblax quintor vellum sprocket: {PASSROLE}"
    domain, probability = certain.predict(text)
    assert domain == "s3" and probability >= OVERRULE
    assert Classifier(second_opinion=certain).classify(text).signature == "s3.other"
    also = f"{text}; the next step says NoSuchBucket"
    assert classify(also).signature == "iam.passrole"
    assert Classifier(second_opinion=certain).classify(also).signature == "s3.no_such_bucket"


def test_a_non_incident_is_never_moved():
    model = SecondOpinion.fit(TEACHING + SPROCKET)
    chatter = "thanks, the zorblax quintor vellum sprocket works now"
    domain, probability = model.predict(chatter)
    assert domain == "s3" and probability >= OVERRULE
    assert Classifier(second_opinion=model).classify(chatter) == classify(chatter)
    assert not classify(chatter).is_incident


def test_an_unnamed_incident_moves_only_when_the_model_is_sure_of_another_domain():
    model = SecondOpinion.fit(TEACHING)
    rules = classify(UNNAMED)
    assert (rules.signature, rules.named) == ("lambda.sdk_config", False)
    assert model.predict(UNNAMED)[0] == "s3" and model.predict(UNNAMED)[1] >= 0.9
    moved = Classifier(second_opinion=model).classify(UNNAMED)
    # The rules' own choice inside S3, from the same cue ("different region"); the rest stays.
    assert (moved.domain, moved.signature) == ("s3", "s3.wrong_region")
    assert moved.confidence == rules.confidence < 0.6  # still unsure: a TA triages it
    # The rules guessed the service from their domain; the guess follows the move.
    assert (rules.attributes, moved.attributes) == ({"service": "lambda"}, {"service": "s3"})
    assert moved.is_incident
    assert moved.version == f"{rules.version}+{model.version}"
    unsure = "the lambda fails, zorblax instance"
    domain, probability = model.predict(unsure)
    assert domain != classify(unsure).domain and probability < 0.9
    assert Classifier(second_opinion=model).classify(unsure).signature == classify(unsure).signature


def test_a_failure_no_pattern_named_is_the_one_the_model_is_sure_of_in_its_domain(tmp_path):
    """The rules' cues pick a signature inside the domain; a model sure of another names it. A
    failure a pattern named stays, and a file keeps what the model learned."""
    path = tmp_path / "model.json"
    teaching = [(text, "lambda" if domain == "s3" else domain) for text, domain in TEACHING]
    SecondOpinion.fit(teaching, failures=FAILURES).save(path)
    model = SecondOpinion.load(path)
    assert model.predict(UNNAMED)[0] == "lambda"
    signature, probability = model.failure("lambda", UNNAMED)
    assert signature == "lambda.timeout" and probability >= FAILURE
    rules, default = classify(UNNAMED), Classifier(second_opinion=model).classify(UNNAMED)
    assert (rules.signature, default.signature) == ("lambda.sdk_config", "lambda.timeout")
    assert default.confidence == rules.confidence and default.version.endswith(model.version)
    named = f"zorblax step: {PASSROLE}"
    assert model.failure("iam", named)[0] == "iam.missing_permission"
    assert Classifier(second_opinion=model).classify(named) == classify(named)
    unsure = "my lambda function fails: zorblax broke region client"
    assert model.failure("lambda", unsure)[1] < FAILURE
    assert Classifier(second_opinion=model).classify(unsure) == classify(unsure)
    assert model.failure("ec2", UNNAMED) is None  # no failures of EC2 were taught


def test_a_move_to_a_layer_beneath_keeps_the_service_where_the_failure_surfaced():
    """Moved to IAM or VPC, a Lambda failure still surfaced in Lambda; moved to another
    service, or to a service outside the list, the rules' guess of the service goes."""
    rules, scan = classify(UNNAMED), packaged_rules().scan(UNNAMED)
    moves = {d: packaged_rules().moved(rules, scan, d) for d in ("iam", "vpc", "s3", "other")}
    assert {d: (m.signature, m.attributes) for d, m in moves.items()} == {
        "iam": ("iam.other", {"service": "lambda"}),
        "vpc": ("vpc.other", {"service": "lambda"}),
        "s3": ("s3.wrong_region", {"service": "s3"}),
        "other": ("other.other", {}),
    }
    named = "my lambda times out calling arn:aws:dynamodb:us-east-1:123456789012:table/orders"
    moved = packaged_rules().moved(classify(named), packaged_rules().scan(named), "s3")
    assert moved.attributes["service"] == "dynamodb"


# From the real dev corpus (CrowdStrike/FDR#228, labelled iam.credentials): no error code the
# catalog knows and no blocker words, so the rules' vote lets it pass. The packaged model was
# fitted on it, so this holds the mechanism, not the model's reach: no message of the written
# holdouts is left that the rules let pass and the model is BLOCKER sure of (session 16's catalog
# now reads the broken pipe of carrierwave#866 that stood here, its "::" no longer an emoji).
ROLE_NOT_REFRESHED = (
    "aws sts assume role times out\nThe aws sts assumed role has a max duration of 1 hour - the "
    "assumed role should be refreshed on expiration"
)
# A course lead's posts in the demo cohort: every word a blocker uses, and none is one.
ANNOUNCEMENTS = [
    "Lab 4 (a Lambda function with LabRole, triggered from S3, logging to CloudWatch) is out! "
    "Due Sunday Oct 4 at 23:59 ET. Ask here, we're watching.",
    "Lab 5 (an S3-triggered thumbnailer in Lambda with boto3 and a CloudWatch alarm) is out! "
    "Due Sunday Oct 18 at 23:59 ET. Ask here, we're watching.",
]


def test_a_root_the_rules_let_pass_is_a_report_when_the_model_is_sure_and_a_ta_triages_it():
    rules, default = classify(ROLE_NOT_REFRESHED), Classifier().classify(ROLE_NOT_REFRESHED)
    assert not rules.is_incident
    assert packaged_second_opinion().blocker(ROLE_NOT_REFRESHED) >= BLOCKER
    assert (default.is_incident, default.domain) == (True, "iam")
    assert default.confidence < 0.5 and default.version.endswith(packaged_second_opinion().version)
    # A reply is the thread's to judge, and the rules alone never make it a report.
    assert not Classifier().classify(ROLE_NOT_REFRESHED, reply=True).is_incident
    assert not Classifier(second_opinion=False).classify(ROLE_NOT_REFRESHED).is_incident


def test_announcements_and_answers_full_of_aws_words_stay_no_reports():
    """The model learns from replies too: answers and advice use a blocker's words."""
    for text in ANNOUNCEMENTS:
        assert packaged_second_opinion().blocker(text) < BLOCKER
        assert not Classifier().classify(text).is_incident


def test_a_model_file_with_domains_only_loads_and_never_makes_a_report_or_names_a_failure(
    tmp_path,
):
    """A file from an earlier `friction train` holds the domains only."""
    path = tmp_path / "old.json"
    payload = json.loads(packaged_second_opinion().to_json())
    del payload["blockers"], payload["failures"]
    path.write_text(json.dumps(payload))
    old = SecondOpinion.load(path)
    assert old.blocker(ROLE_NOT_REFRESHED) == 0.0
    assert old.predict(ROUTE) == packaged_second_opinion().predict(ROUTE)
    assert not Classifier(second_opinion=old).classify(ROLE_NOT_REFRESHED).is_incident
    assert old.failure("lambda", UNNAMED) is None


def test_the_second_opinion_is_on_by_default_and_off_on_request(sqlite_url, tmp_path):
    default = json.loads(friction("classify", "--json", ROUTE).stdout)
    assert default["signature"] == "vpc.connectivity"
    assert default["version"].endswith(f"+{packaged_second_opinion().version}")
    rules = json.loads(friction("classify", "--json", "--rules-only", ROUTE).stdout)
    assert rules["signature"] == "ec2.invalid_resource" == classify(ROUTE).signature
    both = friction("classify", "--rules-only", "--model", str(PACKAGED), ROUTE)
    assert both.returncode == 2 and "choose one" in both.stderr
    # The live path files it under VPC; with `second_opinion = false`, history goes back to EC2.
    live = open_context(Settings(FRICTION_SALT="s"), sqlite_url)
    live.ingestor.add(CapturedMessage("T1", "C1", "1790000000.000100", ROUTE, "U1"))
    assert _signatures(live) == ["vpc.connectivity"]
    config = tmp_path / "friction.toml"
    config.write_text("[classifier]\nsecond_opinion = false\n")
    rules_only = open_context(Settings(FRICTION_SALT="s", FRICTION_CONFIG=config), sqlite_url)
    assert rules_only.ingestor.reclassify()
    assert _signatures(rules_only) == ["ec2.invalid_resource"]


def _signatures(context) -> list[str]:
    return [i.signature_id for i in incidents(context)]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (pickle.dumps({"format": "friction-learned-stage/1", "pipeline": None}), "old pickle"),
        (b"\x00\x01 not a model", "not JSON"),
        (b'{"format": "friction-learned-stage/1"}', "not a second-opinion model of format"),
        (b'{"format": "friction-second-opinion/1", "counts": {}}', "damaged"),
    ],
)
def test_a_model_file_that_is_not_one_stops_the_start_with_a_clear_error(
    sqlite_url, tmp_path, content, says
):
    model = tmp_path / "friction-model.pkl"
    model.write_bytes(content)
    config = tmp_path / "friction.toml"
    config.write_text(f'[classifier]\nmodel = "{model}"\n')
    with pytest.raises(ConfigError) as error:
        open_context(Settings(FRICTION_SALT="s", FRICTION_CONFIG=config), sqlite_url)
    assert str(error.value).startswith(f"[classifier] model: {model}")
    assert says in str(error.value) and "run `friction train` again" in str(error.value)


def test_a_model_file_knowing_a_domain_the_catalog_lacks_stops_the_start(sqlite_url, tmp_path):
    """Checked when the file is read, not when the classifier is first built."""
    model = tmp_path / "friction-model.json"
    SecondOpinion.fit([*TEACHING, ("the queue keeps my message", "sqs")]).save(model)
    config = tmp_path / "friction.toml"
    config.write_text(f'[classifier]\nmodel = "{model}"\n')
    with pytest.raises(ConfigError, match=r"^\[classifier\] model: the model knows domains or "):
        open_context(Settings(FRICTION_SALT="s", FRICTION_CONFIG=config), sqlite_url)


def test_a_model_file_that_is_not_there_cannot_be_read(tmp_path):
    with pytest.raises(SecondOpinionError, match="cannot read"):
        SecondOpinion.load(tmp_path / "absent.json")


def test_model_and_second_opinion_off_together_are_a_mistake(tmp_path):
    config = tmp_path / "friction.toml"
    config.write_text(f'[classifier]\nsecond_opinion = false\nmodel = "{PACKAGED}"\n')
    shown = friction("reclassify", env={"FRICTION_CONFIG": str(config), "FRICTION_SALT": "s"})
    assert shown.returncode == 2
    assert "model is set but second_opinion = false" in shown.stderr
