"""The classifier as the ledger and a TA see it: ids, precedence, chatter, attributes, catalog."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from support.friction_cli import friction

from classifiers import (
    Catalog,
    CatalogError,
    Rules,
    catalog,
    classifier_version,
    classify,
    is_resolution,
    load_catalog,
)
from classifiers.catalog import DEFAULT_PATH
from classifiers.evaluate import LabelledSetError, evaluate, load_examples

DEV_SET = Path(__file__).parent / "data" / "dev.jsonl"

# The contract of ../shared/taxonomy.md: ids and digest labels a labelled set is scored against.
TAXONOMY_DOMAINS = {
    "iam": "Identity & Access (IAM)",
    "s3": "Storage Services (S3)",
    "lambda": "Lambda / Boto3",
    "ec2": "EC2 Compute",
    "cloudwatch": "CloudWatch / Logs",
    "dynamodb": "DynamoDB",
    "apigateway": "API Gateway",
    "cloudformation": "CloudFormation / IaC",
    "vpc": "Networking (VPC)",
    "other": "Other",
}
TAXONOMY_SIGNATURES = [
    "iam.passrole",
    "iam.trust_policy",
    "iam.missing_permission",
    "iam.malformed_policy",
    "iam.credentials",
    "s3.access_denied",
    "s3.no_such_bucket",
    "s3.no_such_key",
    "s3.bucket_name",
    "s3.wrong_region",
    "lambda.timeout",
    "lambda.import_error",
    "lambda.handler_not_found",
    "lambda.out_of_memory",
    "lambda.code_error",
    "lambda.sdk_config",
    "ec2.ssh_access",
    "ec2.capacity_limit",
    "ec2.invalid_resource",
    "cloudwatch.log_group_missing",
    "cloudwatch.no_logs",
    "cloudwatch.alarm_or_metric",
    "dynamodb.resource_not_found",
    "dynamodb.validation",
    "apigateway.bad_gateway",
    "apigateway.cors",
    "cloudformation.stack_failed",
    "vpc.connectivity",
]


def test_catalog_speaks_every_taxonomy_id_with_its_label():
    labels = {d.id: d.label for d in catalog().domains}
    assert {d: labels.get(d) for d in TAXONOMY_DOMAINS} == TAXONOMY_DOMAINS
    ids = {s.id for s in catalog().signatures}
    assert set(TAXONOMY_SIGNATURES) <= ids
    assert {f"{d}.other" for d in TAXONOMY_DOMAINS} <= ids
    assert all(s.hint and s.title for s in catalog().signatures)


def test_classification_is_a_frozen_record_with_a_version():
    result = classify("Task timed out after 3.00 seconds")
    assert (result.is_incident, result.domain, result.signature) == (
        True,
        "lambda",
        "lambda.timeout",
    )
    assert 0.0 <= result.confidence <= 1.0
    assert result.version == classifier_version()
    with pytest.raises(FrozenInstanceError):
        result.domain = "s3"  # type: ignore[misc]


@pytest.mark.parametrize(
    "text",
    [
        "An error occurred (AccessDenied) when calling the CreateFunction operation: User: "
        "arn:aws:sts::XXXXXXXXXXXX:assumed-role/voclabs/student is not authorized to perform: "
        "iam:PassRole on resource: arn:aws:iam::XXXXXXXXXXXX:role/my-role",
        "```\nUser: arn:aws:iam::XXXXXXXXXXXX:user/s is not authorized to\nperform: "
        "IAM:PASSROLE on resource: arn:aws:iam::XXXXXXXXXXXX:role/LabRole\n```",
        "&gt; User is not authorized to perform: iam:PassRole <https://docs.aws.amazon.com|docs>",
        "<@U012AB3CD> glue job won't start, something about iam:PassRole :sob:",
    ],
)
def test_spellings_and_slack_markup_of_one_failure_map_to_one_signature(text):
    assert classify(text).signature == "iam.passrole"


def test_typographic_quotes_read_as_the_ascii_ones_the_catalog_is_written_in():
    """A phone writes an acute accent or a curly quote for the apostrophe (real dev:
    prometheus/cloudwatch_exporter#580)."""
    text = (
        "I can see the metrics using localhost:9106/metrics but NOT in the web console from "
        "Prometheus … But when I want to see these same metrics in the Prometheus Web it "
        "doesn\u00b4t appear!"
    )
    result = classify(text)
    assert (result.is_incident, result.signature) == (True, "cloudwatch.alarm_or_metric")
    assert result == classify(text.replace("\u00b4", "'"))


def test_identity_wording_wins_over_the_service_that_surfaced_it():
    denied = classify(
        "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the "
        "GetObject operation: User: arn:aws:sts::XXXXXXXXXXXX:assumed-role/LabRole/fn is not "
        'authorized to perform: s3:GetObject on resource: "arn:aws:s3:::photos/cat.jpg" '
        "because no identity-based policy allows the s3:GetObject action"
    )
    assert (denied.domain, denied.signature) == ("iam", "iam.missing_permission")
    assert denied.attributes == {
        "action": "s3:GetObject",
        "error_code": "AccessDenied",
        "operation": "GetObject",
        "resource": "arn:aws:s3:::photos/cat.jpg",
        "service": "s3",
    }
    bare = classify(
        "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"
    )
    assert bare.signature == "s3.access_denied"


@pytest.mark.parametrize(
    ("text", "signature"),
    [
        ("my lambda never writes any logs, the log group is just empty", "cloudwatch.no_logs"),
        ("cant ssh into my instance, it just hangs", "ec2.ssh_access"),
        (
            "Runtime.ImportModuleError: Unable to import module 'app': No module named 'requests'",
            "lambda.import_error",
        ),
        (
            "Waiter StackCreateComplete failed: stack is in ROLLBACK_COMPLETE",
            "cloudformation.stack_failed",
        ),
        (
            "my function in a private subnet times out calling S3, no NAT gateway",
            "vpc.connectivity",
        ),
        (
            "ValidationException when calling the Query operation: "
            "Query condition missed key schema element: id",
            "dynamodb.validation",
        ),
        (
            "Access to fetch at 'https://abc.execute-api.us-east-1.amazonaws.com/prod' "
            "has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header",
            "apigateway.cors",
        ),
    ],
)
def test_errors_and_plain_english_find_their_failure_mode(text, signature):
    assert classify(text).signature == signature


def test_a_generic_error_belongs_to_the_service_named_beside_it():
    stack = classify(
        "An error occurred (ValidationError) when calling the CreateStack operation: "
        "Template format error: unsupported structure."
    )
    assert stack.domain == "cloudformation"
    table = classify(
        "An error occurred (ValidationException) when calling the PutItem operation: "
        "One or more parameter values were invalid"
    )
    assert table.signature == "dynamodb.validation"


def test_domain_without_known_failure_is_domain_other_and_nothing_is_other_other():
    assert classify("my EBS volume resize does not show up inside the instance").signature == (
        "ec2.other"
    )
    vague = classify("something is wrong and nothing works for me today")
    assert (vague.is_incident, vague.signature) == (True, "other.other")
    assert vague.confidence < 0.6


@pytest.mark.parametrize(
    "text",
    [
        "thanks, that worked!",
        "when is lab 3 due?",
        "+1",
        ":tada: :tada:",
        "https://docs.aws.amazon.com/lambda/",
        "good morning everyone",
    ],
)
def test_chatter_is_not_an_incident(text):
    result = classify(text)
    assert (result.is_incident, result.domain, result.signature) == (False, None, None)


def test_a_reply_that_answers_is_not_an_incident_but_one_with_a_new_error_is():
    answer = "you need to add iam:PassRole to your policy, then try again"
    assert classify(answer).is_incident
    assert not classify(answer, reply=True).is_incident
    new_error = "did that, now it says `Task timed out after 3.00 seconds`"
    assert classify(new_error, reply=True).signature == "lambda.timeout"


def test_resolution_phrases():
    assert is_resolution("thanks, that worked")
    assert is_resolution("fixed it!")
    assert is_resolution("solved, ty")
    assert not is_resolution("still not working")
    assert not is_resolution("that fixed it but now I get AccessDenied")


def test_account_ids_in_arns_are_masked_in_attributes():
    result = classify(
        "not authorized to perform: dynamodb:PutItem on resource: "
        "arn:aws:dynamodb:us-east-1:123456789012:table/Orders"
    )
    assert result.attributes["resource"] == "arn:aws:dynamodb:us-east-1:XXXXXXXXXXXX:table/Orders"
    assert result.attributes["action"] == "dynamodb:PutItem"


def _write_catalog(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "catalog.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "patterns = ['iam:passrole',",
            "patterns = ['iam:(passrole',",
            "(iam.passrole): field 'patterns': bad regex",
        ),
        ("patterns = ['iam:passrole',", "patterns = ['(iam:passrole)',", "has a capturing group"),
        ("patterns = ['iam:passrole',", "patterns = ['IAM:PassRole',", "must be lowercase"),
        (
            'id = "iam.passrole"\ndomain = "iam"',
            'id = "iam.passrole"\ndomain = "identity"',
            "field 'id' must start with its domain",
        ),
        (
            'title = "Not allowed to pass a role to a service"\n',
            "",
            "(iam.passrole): field 'title'",
        ),
        (
            'id = "vpc.other"',
            'id = "vpc.misc"',
            "needs a '<domain>.other' signature: ['vpc.other']",
        ),
        (
            'overrides = ["lambda.timeout"',
            'overrides = ["lambda.timout"',
            "field 'overrides' names unknown",
        ),
        (
            "unless = ['@iam.malformed_policy']",
            "unless = ['@iam.malformed_polcy']",
            "iam.passrole: field 'unless' names unknown signature '@iam.malformed_polcy'",
        ),
        (
            "unless = ['@iam.malformed_policy']",
            "unless = ['@iam.passrole']",
            "iam.passrole: field 'unless' names the signature itself, '@iam.passrole'",
        ),
        (
            "unless = ['@iam.malformed_policy']",
            "unless = ['@iam.malformed_policy', '$lab_passrole']",
            "iam.passrole: field 'unless' names unknown [phrases] list '$lab_passrole'",
        ),
        ("\n[phrases]\n", "\n[phrases]\nlab_passrole = ['passrole on labrole']\n", "never used"),
        ("\n[phrases]\n", "\n[phrases]\nlab_passrole = ['(passrole']\n", "bad regex"),
        (
            "patterns = ['iam:passrole',",
            "patterns = ['iam:passrole', 'iam:passrole',",
            "(iam.passrole): field 'patterns' lists ['iam:passrole'] more than once",
        ),
    ],
)
def test_an_invalid_catalog_names_file_entry_and_field(tmp_path, old, new, expected):
    path = _write_catalog(tmp_path, old, new)
    with pytest.raises(CatalogError) as error:
        load_catalog(path)
    assert str(path) in str(error.value)
    assert expected in str(error.value)


def test_the_version_follows_the_catalog(tmp_path):
    path = _write_catalog(tmp_path, "'passrole',", "'passrole', 'pass-role',")
    changed = Rules(load_catalog(path))
    assert isinstance(changed.catalog, Catalog)
    assert changed.version != classifier_version()
    assert changed.classify("pass-role error on glue").signature == "iam.passrole"


def test_a_veto_is_read_where_another_fragment_read_the_same_words(tmp_path):
    # "iam:passrole" is passrole's pattern; a veto beginning inside it still vetoes.
    text = "User is not authorized to perform iam:PassRole on LabRole"
    path = _write_catalog(
        tmp_path,
        "unless = ['@iam.malformed_policy']",
        "unless = ['@iam.malformed_policy', 'passrole on labrole']",
    )
    assert classify(text).signature == "iam.passrole"
    assert Rules(load_catalog(path)).classify(text).signature == "iam.missing_permission"


def test_a_phrases_list_reads_as_its_fragments_written_where_it_is_named(tmp_path):
    # One list, written once: a pattern of iam.missing_permission and a veto of iam.passrole.
    text = "User is not authorized to perform iam:PassRole on LabRole"
    path = _write_catalog(
        tmp_path,
        "unless = ['@iam.malformed_policy']",
        "unless = ['@iam.malformed_policy', '$lab_passrole']",
    )
    catalog_text = path.read_text(encoding="utf-8").replace(
        "\n[phrases]\n", "\n[phrases]\nlab_passrole = ['passrole on labrole']\n"
    )
    head, tail = catalog_text.split('id = "iam.missing_permission"')
    tail = tail.replace("patterns = [", "patterns = ['$lab_passrole',", 1)
    path.write_text(f'{head}id = "iam.missing_permission"{tail}', encoding="utf-8")
    rules = Rules(load_catalog(path))
    assert rules.catalog.signature("iam.passrole").unless == ("passrole on labrole",)
    assert rules.catalog.signature("iam.missing_permission").patterns[0] == "passrole on labrole"
    assert rules.classify(text).signature == "iam.missing_permission"
    assert classify(text).signature == "iam.passrole"


def test_unless_naming_a_signature_yields_to_every_pattern_of_it():
    # iam.passrole outranks iam.malformed_policy, but yields to any wording that names it.
    assert classify("iam:PassRole policy: Policy has invalid action").signature == (
        "iam.malformed_policy"
    )
    assert classify("MalformedPolicyDocument: iam:PassRole").signature == "iam.malformed_policy"


def test_dev_set_accuracy_does_not_drop():
    report = evaluate(load_examples(DEV_SET), classify)
    assert report.n >= 400
    assert report.domain_accuracy >= 0.965
    assert report.signature_accuracy >= 0.955
    assert report.incident_f1 >= 0.985


def test_a_malformed_labelled_line_is_named(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text(
        '{"text": "x", "is_incident": false, "domain": null, "signature": null}\n'
        '{"text": "y", "is_incident": true, "domain": "s3"}\n'
    )
    with pytest.raises(LabelledSetError, match=r"set.jsonl:2: field 'signature' must be a string"):
        load_examples(path)


def test_friction_classify_and_eval_commands(tmp_path):
    shown = friction("classify", "--json", "NoSuchBucket: The specified bucket does not exist")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["signature"] == "s3.no_such_bucket"
    scored = friction("eval", str(DEV_SET), "--json")
    assert scored.returncode == 0, scored.stderr
    figures = json.loads(scored.stdout)
    assert figures["n"] == len(load_examples(DEV_SET))
    assert figures["signature_accuracy"] >= 0.955
    missing = friction("eval", str(tmp_path / "absent.jsonl"))
    assert missing.returncode == 2
    assert "absent.jsonl" in missing.stderr
