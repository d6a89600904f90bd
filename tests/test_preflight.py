"""`friction preflight` against moto's emulated AWS (never real AWS), in process.

A learner's profile lives in AWS config files of the test's own; resources are made in moto as
a lab would have them. The policy simulator, which moto lacks, is answered from the policies
moto holds (tests/support/aws_fakes.py). The shell script is checked by bash itself, and run
against a stand-in `aws` command answering as the AWS CLI does.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws
from support.aws_fakes import policy_simulator, refuse
from support.learner_text import NO_SUCH_BUCKET, PASSROLE
from typer.testing import CliRunner

from bot.cli.main import app
from bot.config import Settings
from bot.context import open_context
from bot.ingest.capture import CapturedMessage
from bot.preflight.checks import Checker, Status, run, trusted_services
from bot.preflight.plan import LabFile, LabFileError, load_lab_file, plan
from bot.preflight.script import BLOCKS, script
from classifiers import catalog
from classifiers.catalog import CHECKS, CatalogError, load_catalog

ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/LabRole"
LAB = """
name = "Lab 4"
region = "us-east-1"

[[role]]
name = "LabRole"
service = "lambda.amazonaws.com"

[[bucket]]
name = "lab4-uploads"

[[log_group]]
name = "/aws/lambda/lab4"
"""
NO_LOG_GROUP = (
    "An error occurred (ResourceNotFoundException) when calling the GetLogEvents operation: "
    "The specified log group does not exist."
)
PASS_LAB_ROLE = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": ROLE_ARN}


@pytest.fixture(autouse=True)
def aws(tmp_path, monkeypatch):
    """moto's AWS; AWS config files of the test's own (never ~/.aws), no instance metadata."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/no-ledger.db")  # absent: no ledger
    with mock_aws():
        yield


# AWS's service models parsed once for every session of these tests (a second per session else).
LOADER = botocore.loaders.create_loader()


def aws_session(**kwargs) -> boto3.Session:
    core = botocore.session.Session()
    core.register_component("data_loader", LOADER)
    return boto3.Session(botocore_session=core, **kwargs)


def admin(service: str, region: str = "us-east-1"):
    """A client of the account's administrator, to set the lab up as its author would."""
    session = aws_session(aws_access_key_id="admin", aws_secret_access_key="admin")
    return session.client(service, region_name=region)


def make_role(name: str = "LabRole", service: str = "lambda.amazonaws.com") -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }
    admin("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))


def make_lab(*, role: str | None = "lambda.amazonaws.com", bucket_region="us-east-1") -> None:
    """The lab's resources: LabRole trusting `role`, the bucket in `bucket_region`, the logs."""
    if role:
        make_role(service=role)
    if bucket_region:
        extra = {}
        if bucket_region != "us-east-1":
            extra["CreateBucketConfiguration"] = {"LocationConstraint": bucket_region}
        admin("s3", bucket_region).create_bucket(Bucket="lab4-uploads", **extra)
    admin("logs").create_log_group(logGroupName="/aws/lambda/lab4")


def add_learner(tmp_path: Path, *statements, region: str | None = "us-east-1") -> str:
    """An IAM user with these policy statements, as the profile `learner`; returns its name."""
    iam = admin("iam")
    iam.create_user(UserName="alice")
    if statements:
        policy = {"Version": "2012-10-17", "Statement": list(statements)}
        iam.put_user_policy(UserName="alice", PolicyName="lab", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    (tmp_path / "aws-credentials").write_text(
        f"[learner]\naws_access_key_id = {key['AccessKeyId']}\n"
        f"aws_secret_access_key = {key['SecretAccessKey']}\n"
    )
    (tmp_path / "aws-config").write_text(
        "[profile learner]\n" + (f"region = {region}\n" if region else "")
    )
    return "learner"


def lab_file(tmp_path: Path, text: str = LAB) -> Path:
    path = tmp_path / "lab.toml"
    path.write_text(text)
    return path


def run_checks(tmp_path: Path, profile: str = "learner", text: str = LAB, **kwargs):
    """Run every check of the lab file as the learner; results by (check, target)."""
    session = aws_session(profile_name=profile)
    for event, code in kwargs.pop("refusals", {}).items():  # before the simulator: first wins
        refuse(session, event, code, f"{code} (as AWS says it)")
    policy_simulator(session)
    report = run(plan(load_lab_file(lab_file(tmp_path, text)), {}, catalog()), session, **kwargs)
    return report, {(r.step.check, r.step.target): r for r in report.results}


def friction(*args: str):
    return CliRunner().invoke(app, ["preflight", *args])


# -- roles


def test_a_role_that_exists_trusts_lambda_and_may_be_passed_passes(tmp_path):
    make_lab()
    add_learner(tmp_path, PASS_LAB_ROLE)
    report, by = run_checks(tmp_path)
    assert by["role_exists", "LabRole"].status is Status.passed
    assert by["role_exists", "LabRole"].detail == ROLE_ARN
    assert by["role_trust", "LabRole"].status is Status.passed
    passing = by["can_pass_role", "LabRole"]
    assert passing.status is Status.passed, passing.detail
    assert f"arn:aws:iam::{ACCOUNT}:user/alice may pass it" in passing.detail
    assert report.ok and all(r.status is Status.passed for r in report.results)


def test_a_missing_role_fails_with_the_command_that_creates_it(tmp_path):
    make_lab(role=None)
    add_learner(tmp_path, PASS_LAB_ROLE)
    report, by = run_checks(tmp_path)
    missing = by["role_exists", "LabRole"]
    assert missing.status is Status.failed
    assert missing.detail == f"no role named LabRole in account {ACCOUNT}"
    assert "aws iam create-role --role-name LabRole" in missing.fix
    assert '"Service":"lambda.amazonaws.com"' in missing.fix
    for check in ("role_trust", "can_pass_role"):  # nothing to say about a role that is not there
        assert by[check, "LabRole"].status is Status.unknown
        assert by[check, "LabRole"].fix is None
    assert not report.ok


def test_a_role_trusting_the_wrong_service_fails_naming_the_expected_one(tmp_path):
    make_lab(role="ec2.amazonaws.com")
    add_learner(tmp_path, PASS_LAB_ROLE)
    _, by = run_checks(tmp_path)
    assert by["role_exists", "LabRole"].status is Status.passed
    wrong = by["role_trust", "LabRole"]
    assert wrong.status is Status.failed
    assert wrong.detail == "trusts ec2.amazonaws.com, not lambda.amazonaws.com"
    assert "Let lambda.amazonaws.com assume LabRole" in wrong.fix
    assert "aws iam update-assume-role-policy --role-name LabRole" in wrong.fix


def test_passing_a_role_without_permission_fails_and_an_explicit_deny_says_so(tmp_path):
    make_lab()
    add_learner(tmp_path)  # no policy at all
    _, by = run_checks(tmp_path)
    denied = by["can_pass_role", "LabRole"]
    assert denied.status is Status.failed
    assert denied.detail == (
        f"no policy of arn:aws:iam::{ACCOUNT}:user/alice allows iam:PassRole on {ROLE_ARN}"
    )
    assert "iam:PassRole" in denied.fix
    admin("iam").put_user_policy(
        UserName="alice",
        PolicyName="deny",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{**PASS_LAB_ROLE, "Effect": "Deny"}]}
        ),
    )
    _, by = run_checks(tmp_path)
    assert by["can_pass_role", "LabRole"].detail.startswith("a Deny statement stops")


def test_a_denied_policy_simulator_could_not_check_rather_than_fail(tmp_path):
    make_lab()
    add_learner(tmp_path)
    report, by = run_checks(tmp_path, refusals={"iam.SimulatePrincipalPolicy": "AccessDenied"})
    unknown = by["can_pass_role", "LabRole"]
    assert unknown.status is Status.unknown
    assert "may not use the IAM policy simulator" in unknown.detail
    assert unknown.fix is None
    assert report.ok  # "could not check" is not a failure


def test_trust_policies_in_every_shape_aws_returns():
    encoded = quote(
        json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {
                            "Service": ["lambda.amazonaws.com", "edgelambda.amazonaws.com"]
                        },
                        "Action": "sts:AssumeRole",
                    }
                ]
            }
        )
    )
    assert trusted_services(encoded) == ["lambda.amazonaws.com", "edgelambda.amazonaws.com"]
    deny = {"Effect": "Deny", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "*"}
    web = {"Effect": "Allow", "Principal": {"Federated": "cognito"}, "Action": "sts:*"}
    assert trusted_services({"Statement": [deny, web]}) == []


# -- buckets, logs, credentials, region


@pytest.mark.parametrize(
    ("bucket_region", "exists", "in_region"),
    [
        ("us-east-1", Status.passed, Status.passed),
        (None, Status.failed, Status.unknown),
        ("eu-west-1", Status.passed, Status.failed),
    ],
    ids=["present", "missing", "wrong-region"],
)
def test_bucket_present_missing_or_in_the_wrong_region(tmp_path, bucket_region, exists, in_region):
    make_lab(bucket_region=bucket_region)
    add_learner(tmp_path, PASS_LAB_ROLE)
    _, by = run_checks(tmp_path)
    assert by["bucket_exists", "lab4-uploads"].status is exists
    assert by["bucket_region", "lab4-uploads"].status is in_region
    if bucket_region is None:
        assert by["bucket_exists", "lab4-uploads"].detail == "no bucket named lab4-uploads"
        assert (
            "aws s3 mb s3://lab4-uploads --region us-east-1"
            in by["bucket_exists", "lab4-uploads"].fix
        )
    if bucket_region == "eu-west-1":
        wrong = by["bucket_region", "lab4-uploads"]
        assert wrong.detail == "the bucket is in eu-west-1, the lab expects us-east-1"
        assert "recreate it there" in wrong.fix


def test_log_group_present_or_missing(tmp_path):
    make_lab()
    admin("logs").create_log_group(logGroupName="/aws/lambda/lab4-old")  # a prefix match only
    add_learner(tmp_path, PASS_LAB_ROLE)
    text = LAB + '\n[[log_group]]\nname = "/aws/lambda/lab4-new"\n'
    _, by = run_checks(tmp_path, text=text)
    assert by["log_group_exists", "/aws/lambda/lab4"].status is Status.passed
    missing = by["log_group_exists", "/aws/lambda/lab4-new"]
    assert missing.status is Status.failed
    assert missing.detail == "no log group /aws/lambda/lab4-new in us-east-1"
    assert "AWSLambdaBasicExecutionRole" in missing.fix


def test_credentials_valid_missing_or_expired(tmp_path):
    make_lab()
    add_learner(tmp_path, PASS_LAB_ROLE)
    _, by = run_checks(tmp_path)
    assert by["credentials", ""].detail == f"arn:aws:iam::{ACCOUNT}:user/alice (account {ACCOUNT})"

    (tmp_path / "aws-config").write_text("[profile learner]\n[profile empty]\nregion = us-east-1\n")
    _, by = run_checks(tmp_path, profile="empty")
    assert by["credentials", ""].status is Status.failed
    assert by["credentials", ""].detail == "no credentials found (profile empty)"
    assert by["role_exists", "LabRole"].detail == "skipped: no valid credentials"
    assert by["region", "us-east-1"].status is Status.passed  # needs no credentials

    _, by = run_checks(tmp_path, refusals={"sts.GetCallerIdentity": "ExpiredToken"})
    assert by["credentials", ""].status is Status.failed
    assert by["credentials", ""].detail == "the session token has expired (ExpiredToken)"
    assert "session token" in by["credentials", ""].fix


def test_region_missing_or_not_the_labs(tmp_path):
    make_lab()
    add_learner(tmp_path, PASS_LAB_ROLE, region=None)
    _, by = run_checks(tmp_path, region="us-east-1")
    assert by["region", "us-east-1"].status is Status.failed
    assert by["region", "us-east-1"].detail == (
        "no region configured (--region us-east-1 applies to these checks only)"
    )
    assert "aws configure set region us-east-1" in by["region", "us-east-1"].fix
    assert by["bucket_exists", "lab4-uploads"].status is Status.passed  # ran in --region

    (tmp_path / "aws-config").write_text("[profile learner]\nregion = eu-west-1\n")
    _, by = run_checks(tmp_path)
    assert by["region", "us-east-1"].detail == (
        "the configured region is eu-west-1, the lab uses us-east-1"
    )


def test_every_check_the_catalog_can_name_is_implemented():
    assert set(BLOCKS) == set(CHECKS)
    assert all(callable(getattr(Checker, name, None)) for name in CHECKS)
    attached = {c for s in catalog().signatures for c in s.checks}
    assert attached == set(CHECKS)  # every check guards at least one signature


def test_the_catalog_refuses_an_unknown_check(tmp_path):
    text = (Path(load_catalog().path)).read_text()
    bad = tmp_path / "catalog.toml"
    bad.write_text(text.replace("checks = ['bucket_exists']", "checks = ['bucket_exist']", 1))
    with pytest.raises(CatalogError, match=r"s3.no_such_bucket\): field 'checks' names unknown"):
        load_catalog(bad)


# -- the lab file


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[role]]\nname = "LabRole"\n', "[[role]] #1 (LabRole): field 'service' is required"),
        (
            '[[role]]\nname = "LabRole"\nservice = "lambda"\n',
            "[[role]] #1 (LabRole): field 'service': must be a service principal like "
            "lambda.amazonaws.com, got 'lambda'",
        ),
        (
            '[[bucket]]\nname = "ok-bucket"\n[[bucket]]\nname = "Bad_Bucket"\n',
            "[[bucket]] #2 (Bad_Bucket): field 'name': must be a bucket name",
        ),
        ('region = "useast1"\n', "field 'region': must be an AWS region like us-east-1"),
        (
            '[[log_group]]\nname = "/x"\nretention = 7\n',
            "[[log_group]] #1 (/x): unknown field 'retention'",
        ),
        ('[role]\nname = "LabRole"\n', "field 'role': must be an array of tables ([[role]])"),
        ('[[roles]]\nname = "LabRole"\n', "unknown field 'roles'"),
        ("region = ", "not valid TOML"),
        (
            '[incidents]\n"iam.pasrole" = 3\n',
            "[incidents]: unknown signature 'iam.pasrole' (did you mean iam.passrole?)",
        ),
        ('[incidents]\n"iam.passrole" = -1\n', "field 'incidents.iam.passrole': Input should be"),
    ],
    ids=[
        "missing",
        "bad-principal",
        "bad-bucket",
        "bad-region",
        "extra",
        "table",
        "typo",
        "toml",
        "unknown-signature",
        "negative-count",
    ],
)
def test_lab_file_errors_name_the_file_and_field(tmp_path, text, message):
    path = lab_file(tmp_path, text)
    with pytest.raises(LabFileError) as error:
        load_lab_file(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)
    result = friction("--checks", str(path))
    assert result.exit_code == 2
    assert message in result.stderr


# -- the command


def test_json_output_and_exit_0_when_everything_passes(tmp_path):
    make_lab()
    add_learner(tmp_path, PASS_LAB_ROLE)
    result = friction("--profile", "learner", "--checks", str(lab_file(tmp_path)), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"ok", "identity", "region", "summary", "checks", "notes"}
    assert report["ok"] is True
    assert report["identity"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert report["region"] == "us-east-1"
    checks = report["checks"]
    assert [c["check"] for c in checks] == [
        "credentials", "region", "role_exists", "role_trust", "can_pass_role",
        "bucket_exists", "bucket_region", "log_group_exists",
    ]  # fmt: skip
    first = checks[0]
    assert set(first) == {"check", "target", "status", "detail", "fix", "reason", "incidents"}
    assert first["reason"] == "every other check needs valid credentials"
    assert checks[2]["reason"].startswith("guards against iam.passrole, iam.trust_policy")
    assert all(c["fix"] is None for c in checks if c["status"] != "fail")
    # This process's session has no policy simulator (moto lacks one): could not check.
    assert checks[4]["status"] == "could not check"
    assert report["summary"] == {"passed": 7, "failed": 0, "unknown": 1}
    assert report["notes"][0] == "no ledger: running every check the lab file allows"


def test_plain_output_lists_fixes_and_exits_1_on_a_failure(tmp_path):
    make_lab(bucket_region=None)
    add_learner(tmp_path, PASS_LAB_ROLE)
    result = friction("--profile", "learner", "--checks", str(lab_file(tmp_path)))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    at = lines.index("FAIL     bucket_exists lab4-uploads: no bucket named lab4-uploads")
    assert lines[at + 1].startswith("         fix: Check the name in your code against aws s3 ls")
    assert (
        lines[at + 2]
        == "         why: guards against s3.no_such_bucket (no incidents in the ledger)"
    )
    assert "PASS     role_exists LabRole: " + ROLE_ARN in lines
    assert lines[-1] == "5 passed, 1 failed, 2 could not be checked."


def test_usage_errors_exit_2(tmp_path):
    make_lab()
    add_learner(tmp_path)
    for args, message in [
        (("--profile", "nobody"), "The config profile (nobody) could not be found"),
        (("--region", "mars-1"), "--region must be an AWS region like us-east-1, got 'mars-1'"),
        (("--checks", str(tmp_path / "absent.toml")), "absent.toml: cannot read the lab file"),
        (("--db", str(tmp_path / "absent.db")), f"no ledger at {tmp_path / 'absent.db'}"),
        (("--db", "mysql://u@h/d"), "unsupported database 'mysql'"),
    ]:
        result = friction(*args)
        assert result.exit_code == 2, args
        assert message in result.stderr


def test_without_boto3_the_command_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if the `aws` extra were not installed
    monkeypatch.delitem(sys.modules, "bot.preflight.checks")
    result = friction("--checks", str(lab_file(tmp_path)))
    assert result.exit_code == 2
    assert "pip install 'friction-ledger[aws]'" in result.stderr
    script_only = friction("--checks", str(lab_file(tmp_path)), "--print-script")
    assert script_only.exit_code == 0 and "aws iam get-role" in script_only.stdout


# -- ordered by the ledger


@pytest.fixture
def ledger(db_url) -> str:
    """Last cohort: 3 missing buckets, 2 PassRole denials, 1 missing log group."""
    context = open_context(Settings(FRICTION_SALT="s"), db_url)
    texts = [NO_SUCH_BUCKET] * 3 + [PASSROLE] * 2 + [NO_LOG_GROUP]
    for i, text in enumerate(texts):
        context.ingestor.add(
            CapturedMessage("T1", "C1", f"{1_788_000_000 + i * 600}.000100", text, user_id=f"U{i}")
        )
    context.engine.dispose()
    return db_url


def test_checks_run_in_order_of_last_cohorts_incidents(tmp_path, ledger):
    make_lab()
    add_learner(tmp_path, PASS_LAB_ROLE)
    args = ("--profile", "learner", "--checks", str(lab_file(tmp_path)), "--db", ledger)
    result = friction(*args, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    order = [(c["check"], c["incidents"]) for c in report["checks"]]
    assert order == [
        ("credentials", 0),  # first whatever its count: every other check needs it
        ("bucket_exists", 3),
        ("role_exists", 2),
        ("role_trust", 2),
        ("can_pass_role", 2),
        ("region", 1),
        ("log_group_exists", 1),
    ]  # bucket_region guards only s3.wrong_region, which never happened: not run
    reasons = {c["check"]: c["reason"] for c in report["checks"]}
    assert reasons["bucket_exists"] == "s3.no_such_bucket: 3 incidents"
    assert reasons["can_pass_role"] == "iam.passrole: 2 incidents"
    assert reasons["region"] == "cloudwatch.log_group_missing: 1 incident"
    assert report["notes"][0] == "ordered by 6 incidents in the ledger"

    shell = friction(*args, "--print-script").stdout
    positions = [shell.index(f"\n# {c}") for c in ("bucket_exists", "role_exists", "region:")]
    assert positions == sorted(positions)
    assert "# bucket_region" not in shell
    everything = friction(*args, "--print-script", "--all").stdout
    assert everything.index("# bucket_region") > everything.index("# log_group_exists")
    assert "# bucket_region lab4-uploads: why: guards against s3.wrong_region (no incidents" in (
        everything
    )


# -- the shell script


def test_the_script_is_valid_bash_and_holds_every_check(tmp_path):
    the_plan = plan(load_lab_file(lab_file(tmp_path)), {}, catalog())
    text = script(the_plan, profile="learner")
    path = tmp_path / "preflight.sh"
    path.write_text(text)
    checked = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert text.startswith("#!/usr/bin/env bash\n") and "\nset -u\n" in text
    assert "export AWS_PROFILE=${AWS_PROFILE:-learner}" in text
    for command in (
        "aws sts get-caller-identity",
        "aws iam get-role --role-name LabRole",
        "aws iam simulate-principal-policy",
        "aws s3api head-bucket --bucket lab4-uploads",
        "aws s3api get-bucket-location --bucket lab4-uploads",
        "aws logs describe-log-groups --log-group-name-prefix /aws/lambda/lab4 --region us-east-1",
    ):
        assert command in text
    for step in the_plan.steps:
        assert f"# {step.check}" in text


AWS_CLI_STANDIN = """#!/usr/bin/env bash
# Answers as the AWS CLI does, for one learner's account; logs every call.
echo "$*" >> "$AWS_CALLS"
refuse() {
    printf '\\nAn error occurred (%s) when calling the %s operation: no\\n' "$1" "$2" >&2
    exit 254
}
case "$*" in
"configure get region") echo us-east-1 ;;
"sts get-caller-identity"*) echo arn:aws:sts::123456789012:assumed-role/voclabs/user1 ;;
"iam get-role --role-name LabRole --query Role.Arn"*) echo arn:aws:iam::123456789012:role/LabRole ;;
"iam get-role --role-name LabRole --query Role.AssumeRolePolicyDocument"*) echo ec2.amazonaws.com ;;
"iam simulate-principal-policy"*) refuse AccessDenied SimulatePrincipalPolicy ;;
"s3api head-bucket"*) refuse 404 HeadBucket ;;
"s3api get-bucket-location"*) refuse NoSuchBucket GetBucketLocation ;;
"logs describe-log-groups"*) printf '/aws/lambda/lab4-old\\t/aws/lambda/lab4\\n' ;;
*) echo "unexpected call: $*" >&2; exit 99 ;;
esac
"""


def test_the_script_prints_pass_fail_and_fixes_and_exits_1(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(AWS_CLI_STANDIN)
    (bin_dir / "aws").chmod(0o755)
    (tmp_path / "preflight.sh").write_text(
        script(plan(load_lab_file(lab_file(tmp_path)), {}, catalog()))
    )
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "AWS_CALLS": str(tmp_path / "calls")}
    done = subprocess.run(
        ["bash", str(tmp_path / "preflight.sh")], capture_output=True, text=True, env=env
    )
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "PASS     credentials: arn:aws:sts::123456789012:assumed-role/voclabs/user1"
    assert "PASS     region: us-east-1" in lines
    at = lines.index(
        "FAIL     role_trust LabRole: trusts ec2.amazonaws.com, not lambda.amazonaws.com"
    )
    assert lines[at + 1].startswith("         fix: Let lambda.amazonaws.com assume LabRole")
    assert any(
        line.startswith("UNKNOWN  can_pass_role LabRole: could not check: your identity may not")
        for line in lines
    )
    assert "FAIL     bucket_exists lab4-uploads: no bucket named lab4-uploads" in lines
    assert (
        "UNKNOWN  bucket_region lab4-uploads: could not check: skipped: the bucket does not exist"
        in lines
    )
    assert "PASS     log_group_exists /aws/lambda/lab4: exists in us-east-1" in lines
    assert lines[-1] == "4 passed, 2 failed, 2 could not be checked."
    calls = (tmp_path / "calls").read_text()
    assert f"--policy-source-arn arn:aws:iam::{ACCOUNT}:role/voclabs " in calls


def test_the_ledgers_counts_travel_in_the_lab_file_for_learners_without_it(tmp_path, ledger):
    path = lab_file(tmp_path)
    table = friction("--db", ledger, "--print-incidents")
    assert table.exit_code == 0, table.output
    assert '[incidents]\n"s3.no_such_bucket" = 3\n"iam.passrole" = 2\n' in table.stdout
    path.write_text(LAB + "\n" + table.stdout)
    assert load_lab_file(path).incidents == {
        "s3.no_such_bucket": 3,
        "iam.passrole": 2,
        "cloudwatch.log_group_missing": 1,
    }
    learner = friction("--checks", str(path), "--print-script")  # no ledger here
    assert "# Note: ordered by 6 incidents recorded in " in learner.stdout
    assert "# bucket_exists lab4-uploads: why: s3.no_such_bucket: 3 incidents" in learner.stdout
    assert learner.stdout.index("# bucket_exists") < learner.stdout.index("# role_exists")
    assert "# bucket_region" not in learner.stdout
    nothing = friction("--print-incidents")
    assert nothing.exit_code == 2
    assert "nothing to print: no ledger" in nothing.stderr


def test_the_author_is_told_which_frequent_failures_the_lab_file_cannot_check():
    counts = {"iam.passrole": 41, "iam.trust_policy": 3, "s3.no_such_bucket": 2}
    the_plan = plan(LabFile(region="us-east-1"), counts, catalog())
    assert [step.check for step in the_plan.steps] == ["credentials"]
    assert the_plan.notes == (
        "role_exists, role_trust, can_pass_role: not run: the lab file lists no [[role]] "
        "(iam.passrole: 41 incidents; iam.trust_policy: 3 incidents)",
        "bucket_exists: not run: the lab file lists no [[bucket]] (s3.no_such_bucket: 2 incidents)",
    )
