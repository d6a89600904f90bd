#!/usr/bin/env python3
"""Write a Slack workspace export of a cloud-lab cohort: the `friction demo` data and import load.

Why generated rather than hand-written: the demo must reproduce the original analysis exactly
(160 incidents: IAM 64, S3 32, Lambda/Boto3 42, EC2 11, CloudWatch 11; see docs/origin.md),
the import benchmark needs the same realism at 200,000 messages, and both must come out
byte for byte the same on every machine. So everything is drawn from a seeded `random.Random`,
never the clock, and only the standard library is used.

    python scripts/generate_cohort.py                   # the demo cohort, into bot/demo_cohort/
    python scripts/generate_cohort.py --check           # is bot/demo_cohort/ what this writes?
    python scripts/generate_cohort.py --out /tmp/big --scale 300 --compact   # ~220,000 messages

Scale K writes K cohorts of the same shape (cohort 0 is the demo cohort; the others get their
own channels and people, in the same workspace and weeks). Benchmarks import `iter_export`
(one file at a time, one cohort in memory) or `write_export`. Besides the Slack files,
`labels.json` holds the ground truth: every incident root with its root-cause domain,
signature, surfacing service and resolution, and the messages carrying secrets the bot must
redact. Importers skip it: it is not a channel folder.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from itertools import accumulate
from pathlib import Path
from statistics import NormalDist
from string import Template

DEFAULT_SEED = 2026
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "bot" / "demo_cohort"

TEAM = "T0DEMO0001"
COURSE = "Cloud Foundations, fall 2026 cohort"
WEEKS = 6
# The whole course (2026-09-07 .. 2026-10-18) falls inside US daylight time, so Eastern is UTC-4.
EASTERN = timezone(timedelta(hours=-4))
START = int(datetime(2026, 9, 7, tzinfo=EASTERN).timestamp())
END = START + WEEKS * 7 * 86400
DAY = 86400
NORMAL = NormalDist()

LABS = ("lab3", "lab4", "lab5")
LAB_TITLES = {
    "lab3": "Lab 3 (static website on S3 and a web server on EC2)",
    "lab4": "Lab 4 (a Lambda function with LabRole, triggered from S3, logging to CloudWatch)",
    "lab5": "Lab 5 (an S3-triggered thumbnailer in Lambda with boto3 and a CloudWatch alarm)",
}
# How busy each lab's channel is in weeks 1..6: lab 3 opens week 1, lab 4 week 3, lab 5 week 5.
LAB_ACTIVITY = {
    "lab3": (1.0, 1.0, 0.25, 0.05, 0.0, 0.0),
    "lab4": (0.0, 0.0, 1.0, 0.8, 0.2, 0.05),
    "lab5": (0.0, 0.0, 0.0, 0.0, 1.0, 0.9),
}
LAB_DUE = {"lab3": "Sunday Sep 20", "lab4": "Sunday Oct 4", "lab5": "Sunday Oct 18"}
# Day-of-week weights (Monday first): learners work through the week, less at weekends.
WEEKDAY_WEIGHTS = (1.25, 1.2, 1.1, 1.0, 0.9, 0.45, 0.6)

# --------------------------------------------------------------------------------------------
# The incident catalogue: every signature of the five domains of the original analysis, with
# how many incidents it gets, where it arises, real error wording, and what a TA answers.
# Templates use `$name` placeholders (see `Incident.context`); `$$` is a literal `$`.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    """One failure mode: its count in a cohort, where it arises, what it looks like."""

    id: str
    count: int
    labs: dict[str, float]
    errors: tuple[tuple[str, str], ...]  # (service where it surfaced, error text template)
    advice: tuple[str, ...]
    follow_ups: tuple[str, ...] = ()  # signatures whose error may come second in the thread
    prose: bool = False  # the "error" is the learner's own description, not a pasted message

    @property
    def domain(self) -> str:
        return self.id.split(".", 1)[0]


def _in(service: str, *texts: str) -> tuple[tuple[str, str], ...]:
    return tuple((service, text) for text in texts)


VOCLABS = "User: arn:aws:sts::$acct:assumed-role/voclabs/$sess is not authorized to perform: "
NO_POLICY = "because no identity-based policy allows the"
TRACEBACK = 'Traceback (most recent call last):\n  File "$script", line $line, in <module>\n'
BOTO_RAISE = (
    '  File "$site/botocore/client.py", line 1023, in _make_api_call\n'
    "    raise error_class(parsed_response, operation_name)\n"
)
IN_HANDLER = (
    'Traceback (most recent call last):\n  File "/var/task/$pyfile.py", line $line, in $handler\n'
)
ERROR_JSON = (
    '{\n  "errorMessage": "$msg",\n  "errorType": "$etype",\n  "requestId": "$req",\n'
    '  "stackTrace": []\n}'
)


def _lambda_json(message: str, error_type: str) -> str:
    """The JSON a Lambda test invoke shows for a runtime error."""
    return ERROR_JSON.replace("$msg", message).replace("$etype", error_type)


SIGNATURES: tuple[Signature, ...] = (
    Signature(
        "iam.passrole",
        30,
        {"lab4": 1.0, "lab5": 0.6, "lab3": 0.04},
        _in(
            "lambda",
            "$$ aws lambda create-function --function-name $fn --runtime python3.12 "
            "--role arn:aws:iam::$acct:role/$role --handler $pyfile.$handler "
            "--zip-file fileb://function.zip\n\n"
            "An error occurred (AccessDeniedException) when calling the CreateFunction operation: "
            f"{VOCLABS}iam:PassRole on resource: arn:aws:iam::$acct:role/$role {NO_POLICY} "
            "iam:PassRole action",
            f"{TRACEBACK}    response = lambda_client.create_function(\n{BOTO_RAISE}"
            "botocore.exceptions.ClientError: An error occurred (AccessDeniedException) when "
            f"calling the CreateFunction operation: {VOCLABS}iam:PassRole on resource: "
            "arn:aws:iam::$acct:role/$role",
            f"{VOCLABS}iam:PassRole on resource: arn:aws:iam::$acct:role/$role {NO_POLICY} "
            "iam:PassRole action",
            "An error occurred (AccessDeniedException) when calling the "
            f"UpdateFunctionConfiguration operation: {VOCLABS}iam:PassRole on resource: "
            "arn:aws:iam::$acct:role/$role",
            "botocore.exceptions.ClientError: An error occurred (AccessDeniedException) when "
            "calling the CreateFunction operation: User: arn:aws:iam::$acct:user/$iamuser is not "
            "authorized to perform: iam:PassRole on resource: arn:aws:iam::$acct:role/$role",
        )
        + _in(
            "ec2",
            "An error occurred (UnauthorizedOperation) when calling the RunInstances operation: "
            f"You are not authorized to perform this operation. {VOCLABS}iam:PassRole on "
            f"resource: arn:aws:iam::$acct:role/$role {NO_POLICY} iam:PassRole action. "
            "Encoded authorization failure message: $encoded",
        )
        + _in(
            "cloudformation",
            "CREATE_FAILED  AWS::Lambda::Function  $logical  Resource handler returned message: "
            f'"{VOCLABS}iam:PassRole on resource: arn:aws:iam::$acct:role/$role {NO_POLICY} '
            'iam:PassRole action (Service: Lambda, Status Code: 403, Request ID: $req)" '
            "(RequestToken: $req2, HandlerErrorCode: AccessDenied)",
        ),
        (
            "In the lab account you can't create or pass your own roles. In the Lambda console "
            "pick 'Use an existing role' and choose LabRole.",
            "Your --role points at `$role`, which voclabs isn't allowed to pass. Use LabRole: "
            "`aws iam get-role --role-name LabRole --query Role.Arn` gives you the ARN to paste.",
            "This is the PassRole restriction in the lab accounts: your session may only hand "
            "LabRole to a service. Swap the role ARN in your script for LabRole's and redeploy.",
            "Check the `Role=` argument in your create_function call. It has to be the LabRole "
            "ARN (arn:aws:iam::$acct:role/LabRole), not a role you made yourself.",
        ),
        follow_ups=("iam.trust_policy", "iam.passrole"),
    ),
    Signature(
        "iam.trust_policy",
        23,
        {"lab4": 1.0, "lab5": 0.7, "lab3": 0.05},
        _in(
            "lambda",
            "An error occurred (InvalidParameterValueException) when calling the CreateFunction "
            "operation: The role defined for the function cannot be assumed by Lambda.",
            f"{TRACEBACK}    fn = client.create_function(**params)\n{BOTO_RAISE}"
            "botocore.errorfactory.InvalidParameterValueException: An error occurred "
            "(InvalidParameterValueException) when calling the CreateFunction operation: The "
            "role defined for the function cannot be assumed by Lambda.",
            "Error: creating Lambda Function ($fn): operation error Lambda: CreateFunction, https "
            "response error StatusCode: 400, RequestID: $req, InvalidParameterValueException: "
            "The role defined for the function cannot be assumed by Lambda.",
        )
        + _in(
            "iam",
            "$$ aws iam create-role --role-name $role --assume-role-policy-document "
            "file://trust.json\n\nAn error occurred (MalformedPolicyDocument) when calling the "
            'CreateRole operation: Invalid principal in policy: "SERVICE":"lamda.amazonaws.com"',
            "An error occurred (MalformedPolicyDocument) when calling the UpdateAssumeRolePolicy "
            'operation: Invalid principal in policy: "AWS":"arn:aws:iam::$acct:user/$iamuser"',
        )
        + _in(
            "sts",
            "$$ aws sts assume-role --role-arn arn:aws:iam::$acct:role/$role "
            "--role-session-name lab\n\nAn error occurred (AccessDenied) when calling the "
            f"AssumeRole operation: {VOCLABS}sts:AssumeRole on resource: "
            "arn:aws:iam::$acct:role/$role",
        )
        + _in(
            "states",
            "An error occurred (AccessDeniedException) when calling the CreateStateMachine "
            "operation: Neither the global service principal states.amazonaws.com, nor the "
            "regional one is authorized to assume the provided role.",
        ),
        (
            "The trust policy on `$role` has to name lambda.amazonaws.com as Principal "
            '(`"Principal": {"Service": "lambda.amazonaws.com"}`). Easier: use LabRole, it '
            "already trusts Lambda.",
            "Look at the role's Trust relationships tab: the Principal is wrong, so Lambda can't "
            "assume it. Check the spelling of the service name too.",
            "That role exists but its trust policy doesn't let the service assume it. In the lab "
            "accounts you can't edit trust policies, so switch to LabRole.",
        ),
        follow_ups=("iam.passrole", "iam.missing_permission"),
    ),
    Signature(
        "iam.missing_permission",
        6,
        {"lab4": 0.6, "lab5": 1.0, "lab3": 0.3},
        _in(
            "dynamodb",
            "[ERROR] ClientError: An error occurred (AccessDeniedException) when calling the "
            "PutItem operation: User: arn:aws:sts::$acct:assumed-role/$role/$fn is not authorized "
            "to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:$region:$acct:table/"
            f"$table {NO_POLICY} dynamodb:PutItem action\n{IN_HANDLER}"
            "    table.put_item(Item=item)",
        )
        + _in(
            "s3",
            "[ERROR] ClientError: An error occurred (AccessDenied) when calling the GetObject "
            "operation: User: arn:aws:sts::$acct:assumed-role/$role/$fn is not authorized to "
            f'perform: s3:GetObject on resource: "arn:aws:s3:::$bucket/$key" {NO_POLICY} '
            "s3:GetObject action",
        )
        + _in(
            "ec2",
            "An error occurred (UnauthorizedOperation) when calling the DescribeInstances "
            "operation: You are not authorized to perform this operation. "
            f"{VOCLABS}ec2:DescribeInstances {NO_POLICY} ec2:DescribeInstances action",
        )
        + _in(
            "logs",
            "An error occurred (AccessDeniedException) when calling the CreateLogGroup operation: "
            f"{VOCLABS}logs:CreateLogGroup on resource: arn:aws:logs:$region:$acct:log-group:"
            f"/aws/lambda/$fn:log-stream: {NO_POLICY} logs:CreateLogGroup action",
        )
        + _in(
            "iam",
            "An error occurred (AccessDenied) when calling the CreateRole operation: "
            "User: arn:aws:sts::$acct:assumed-role/voclabs/$sess is not authorized to perform: "
            "iam:CreateRole on resource: arn:aws:iam::$acct:role/$role with an explicit deny in "
            "a service control policy",
        ),
        (
            "The function runs as `$role`, and that role has no permission for this action. Use "
            "LabRole, which has it, or attach the missing action to your role's policy.",
            "Read it as: identity X may not do action Y on resource Z. Your code is fine, it's the "
            "role the code runs as. Switch the execution role to LabRole.",
        ),
        follow_ups=("iam.passrole",),
    ),
    Signature(
        "iam.malformed_policy",
        2,
        {"lab4": 1.0, "lab5": 1.0},
        _in(
            "iam",
            "$$ aws iam put-role-policy --role-name $role --policy-name lab-inline "
            "--policy-document file://policy.json\n\nAn error occurred (MalformedPolicyDocument) "
            "when calling the PutRolePolicy operation: Syntax errors in policy.",
            "An error occurred (MalformedPolicyDocument) when calling the CreatePolicy "
            "operation: Has prohibited field Principal",
            "An error occurred (MalformedPolicyDocument) when calling the CreatePolicy "
            "operation: The policy failed legacy parsing",
        ),
        (
            'JSON nit: there\'s a trailing comma after the last statement, and "Version" should '
            'be "2012-10-17". Run it through `python -m json.tool policy.json` first.',
            "Identity policies can't have a Principal, that only goes in trust and bucket "
            "policies. Drop that field.",
        ),
    ),
    Signature(
        "iam.credentials",
        3,
        {"lab3": 1.0, "lab4": 0.15, "lab5": 0.1},
        _in(
            "s3",
            "$$ aws s3 ls\n\nUnable to locate credentials. You can configure credentials by "
            'running "aws configure".',
            "An error occurred (ExpiredToken) when calling the ListBuckets operation: The "
            "provided token has expired.",
        )
        + _in(
            "sts",
            "An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity "
            "operation: The security token included in the request is invalid.",
        )
        + _in(
            "boto3",
            f"{TRACEBACK}    s3.upload_file('index.html', BUCKET, 'index.html')\n"
            "botocore.exceptions.NoCredentialsError: Unable to locate credentials",
        )
        + _in(
            "lambda",
            "An error occurred (UnrecognizedClientException) when calling the ListFunctions "
            "operation: The security token included in the request is invalid.",
        ),
        (
            "Lab credentials expire when the session ends (4 h). Restart the lab, open AWS "
            "Details, and paste the new block into ~/.aws/credentials, including "
            "aws_session_token.",
            "The CLI can't find any credentials. Run `aws configure list` to see what it picks up; "
            "in the lab use the credentials from AWS Details, all three lines.",
            "Please never paste keys here, even expired ones: rotate them. Then copy fresh "
            "credentials from AWS Details and try `aws sts get-caller-identity` again.",
        ),
    ),
    Signature(
        "s3.access_denied",
        10,
        {"lab3": 1.0, "lab5": 0.2},
        _in(
            "s3",
            "upload failed: site/index.html to s3://$bucket/index.html An error occurred "
            "(AccessDenied) when calling the PutObject operation: Access Denied",
            "403 Forbidden\nCode: AccessDenied\nMessage: Access Denied\nRequestId: $s3req\n"
            "HostId: $hostid",
            "An error occurred (AccessDenied) when calling the PutBucketPolicy operation: "
            "Access Denied",
            "fatal error: An error occurred (403) when calling the HeadObject operation: Forbidden",
            "<Error>\n<Code>AccessDenied</Code>\n<Message>Access Denied</Message>\n"
            "<RequestId>$s3req</RequestId>\n<HostId>$hostid</HostId>\n</Error>",
            "upload failed: ./logo.png to s3://$bucket/logo.png An error occurred "
            "(AccessControlListNotSupported) when calling the PutObject operation: The bucket "
            "does not allow ACLs",
        ),
        (
            "Block Public Access is still on for the bucket. Turn off 'Block all public access' "
            "first, then the bucket policy with s3:GetObject for Principal * will save.",
            "Your bucket policy's Resource is `arn:aws:s3:::$bucket` but objects need "
            "`arn:aws:s3:::$bucket/*`. Add the /* and reload the page.",
            "New buckets have ACLs disabled (Object Ownership: bucket owner enforced). Drop "
            "`--acl public-read` and use a bucket policy instead.",
        ),
        follow_ups=("s3.no_such_key",),
    ),
    Signature(
        "s3.no_such_bucket",
        7,
        {"lab3": 1.0, "lab5": 0.3},
        _in(
            "s3",
            "$$ aws s3 ls s3://$bucket\n\nAn error occurred (NoSuchBucket) when calling the "
            "ListObjectsV2 operation: The specified bucket does not exist",
            "upload failed: site/index.html to s3://$bucket/index.html An error occurred "
            "(NoSuchBucket) when calling the PutObject operation: The specified bucket does not "
            "exist",
            f"{TRACEBACK}    s3.download_file(BUCKET, key, '/tmp/in.jpg')\n{BOTO_RAISE}"
            "botocore.errorfactory.NoSuchBucket: An error occurred (NoSuchBucket) when calling "
            "the GetObject operation: The specified bucket does not exist",
            "404 Not Found\nCode: NoSuchBucket\nMessage: The specified bucket does not exist\n"
            "BucketName: $bucket\nRequestId: $s3req\nHostId: $hostid",
        ),
        (
            "Bucket names are exact: you created `$bucket` with a different suffix. "
            "`aws s3 ls` lists the ones you have.",
            "Looks like the bucket was deleted when your lab session reset. Create it again and "
            "re-run the upload step.",
        ),
        follow_ups=("s3.access_denied",),
    ),
    Signature(
        "s3.no_such_key",
        6,
        {"lab3": 0.7, "lab5": 1.0},
        _in(
            "s3",
            "An error occurred (NoSuchKey) when calling the GetObject operation: The specified "
            "key does not exist.",
            "fatal error: An error occurred (404) when calling the HeadObject operation: Key "
            '"$key" does not exist',
            "botocore.exceptions.ClientError: An error occurred (404) when calling the "
            "HeadObject operation: Not Found",
            "[ERROR] NoSuchKey: An error occurred (NoSuchKey) when calling the GetObject "
            f"operation: The specified key does not exist.\n{IN_HANDLER}"
            "    obj = s3.get_object(Bucket=bucket, Key=key)",
            "404 Not Found\nCode: NoSuchKey\nMessage: The specified key does not exist.\n"
            "Key: index.html\nRequestId: $s3req\nHostId: $hostid",
        ),
        (
            "Keys in S3 event notifications are URL-encoded: a space arrives as '+'. Use "
            "`urllib.parse.unquote_plus(record['s3']['object']['key'])`.",
            "The key is case sensitive and includes the prefix: `aws s3 ls s3://$bucket "
            "--recursive` shows what is actually there.",
            "Your index document is set to index.html but you uploaded it under site/. Upload "
            "the files at the bucket root.",
        ),
    ),
    Signature(
        "s3.bucket_name",
        5,
        {"lab3": 1.0},
        _in(
            "s3",
            "make_bucket failed: s3://my-website An error occurred (BucketAlreadyExists) when "
            "calling the CreateBucket operation: The requested bucket name is not available. The "
            "bucket namespace is shared by all users of the system. Please select a different "
            "name and try again.",
            "An error occurred (BucketAlreadyOwnedByYou) when calling the CreateBucket "
            "operation: Your previous request to create the named bucket succeeded and you "
            "already own it.",
            "make_bucket failed: s3://Lab3_Website An error occurred (InvalidBucketName) when "
            "calling the CreateBucket operation: The specified bucket is not valid.",
        ),
        (
            "Bucket names are global across all AWS accounts; add your initials and a number, "
            "e.g. `$bucket`.",
            "Names must be lowercase letters, digits, dots and hyphens, 3-63 characters. No "
            "underscores, no capitals.",
            "You already created it on the first try, so you can just continue with the next step.",
        ),
    ),
    Signature(
        "s3.wrong_region",
        4,
        {"lab3": 1.0, "lab5": 0.4},
        _in(
            "s3",
            "An error occurred (PermanentRedirect) when calling the ListObjectsV2 operation: The "
            "bucket you are attempting to access must be addressed using the specified endpoint. "
            "Please send all future requests to this endpoint.",
            "make_bucket failed: s3://$bucket An error occurred "
            "(IllegalLocationConstraintException) when calling the CreateBucket operation: The "
            "unspecified location constraint is incompatible for the region specific endpoint "
            "this request was sent to.",
            "An error occurred (AuthorizationHeaderMalformed) when calling the GetObject "
            "operation: The authorization header is malformed; the region '$region' is wrong; "
            "expecting '$region2'",
            "An error occurred (InvalidLocationConstraint) when calling the CreateBucket "
            "operation: The specified location-constraint is not valid",
        ),
        (
            "Your CLI default region is $region2 but the lab is in us-east-1. Pass `--region "
            "us-east-1` or fix it with `aws configure`.",
            "For us-east-1 leave out the LocationConstraint entirely; every other region needs it.",
        ),
    ),
    Signature(
        "lambda.timeout",
        8,
        {"lab4": 1.0, "lab5": 1.0},
        _in(
            "lambda",
            '{\n  "errorMessage": "$iso $req Task timed out after $secs seconds"\n}',
            "$iso $req Task timed out after $secs seconds\n\nEND RequestId: $req\nREPORT "
            "RequestId: $req\tDuration: $dur ms\tBilled Duration: $billed ms\tMemory Size: $mem "
            "MB\tMax Memory Used: $used MB\tInit Duration: 412.77 ms\tStatus: timeout",
            "Status: Failed\nTest Event Name: test1\n\nResponse:\n"
            '{\n  "errorMessage": "$iso $req Task timed out after $secs seconds"\n}',
        ),
        (
            "The default timeout is 3 seconds. Configuration > General configuration > Timeout: "
            "set it to 30 s for this lab.",
            "Your handler downloads the whole image before resizing; bump the timeout to 30 s "
            "and memory to 512 MB (more memory also means more CPU).",
        ),
        follow_ups=("lambda.out_of_memory",),
    ),
    Signature(
        "lambda.import_error",
        9,
        {"lab4": 1.0, "lab5": 1.0},
        _in(
            "lambda",
            _lambda_json(
                "Unable to import module '$pyfile': No module named '$module'",
                "Runtime.ImportModuleError",
            ),
            "[ERROR] Runtime.ImportModuleError: Unable to import module '$pyfile': No module "
            "named '$module'\nTraceback (most recent call last):",
            _lambda_json(
                "Unable to import module '$pyfile': No module named 'pydantic_core._pydantic_core'",
                "Runtime.ImportModuleError",
            ),
            _lambda_json(
                "Error: Cannot find module 'index'\\nRequire stack:\\n- /var/runtime/index.mjs",
                "Runtime.ImportModuleError",
            ),
        ),
        (
            "Lambda only has boto3, not `$module`. `pip install $module -t package/`, zip the "
            "package folder together with your .py, and upload that zip.",
            "You built the zip on a Mac, so the wheels are for the wrong platform. Use "
            "`pip install --platform manylinux2014_x86_64 --only-binary=:all: -t package/ ...`.",
            "Your zip has a top-level folder. The .py file must be at the root of the zip: "
            "`cd src && zip -r ../function.zip .`",
        ),
        follow_ups=("lambda.handler_not_found",),
    ),
    Signature(
        "lambda.handler_not_found",
        6,
        {"lab4": 1.0, "lab5": 0.8},
        _in(
            "lambda",
            _lambda_json(
                "Handler '$handler' missing on module '$pyfile'", "Runtime.HandlerNotFound"
            ),
            "[ERROR] Runtime.HandlerNotFound: Handler '$handler' missing on module '$pyfile'",
            _lambda_json("index.handler is undefined or not exported", "Runtime.HandlerNotFound"),
            _lambda_json(
                "Bad handler '$pyfile': not enough values to unpack (expected 2, got 1)",
                "Runtime.MalformedHandlerName",
            ),
        ),
        (
            "The Handler setting is `file.function`. Yours says `$pyfile.$handler` but the "
            "function in your file is called lambda_handler. Runtime settings > Edit.",
            "Handler must be `<module>.<function>`, e.g. `lambda_function.lambda_handler`.",
        ),
    ),
    Signature(
        "lambda.out_of_memory",
        4,
        {"lab4": 0.4, "lab5": 1.0},
        _in(
            "lambda",
            "RequestId: $req Error: Runtime exited with error: signal: killed\nRuntime.ExitError",
            "REPORT RequestId: $req\tDuration: $dur ms\tBilled Duration: $billed ms\tMemory "
            "Size: $mem MB\tMax Memory Used: $mem MB\nRequestId: $req Error: Runtime exited with "
            "error: signal: killed",
            _lambda_json(
                "RequestId: $req Error: Runtime exited with error: signal: killed",
                "Runtime.ExitError",
            ),
        ),
        (
            "Max Memory Used equals Memory Size: it ran out of memory. Raise memory to 1024 MB; "
            "Pillow decodes the full image in RAM.",
            "signal: killed is the out-of-memory killer. Give it more memory, and open the "
            "image with `Image.draft` to decode smaller.",
        ),
    ),
    Signature(
        "lambda.code_error",
        9,
        {"lab4": 0.8, "lab5": 1.0},
        _in(
            "lambda",
            '{\n  "errorMessage": "\'body\'",\n  "errorType": "KeyError",\n  "requestId": '
            '"$req",\n  "stackTrace": [\n    "  File \\"/var/task/$pyfile.py\\", line $line, in '
            "$handler\\n    body = json.loads(event['body'])\\n\"\n  ]\n}",
            f"[ERROR] TypeError: Object of type Decimal is not JSON serializable\n{IN_HANDLER}"
            "    return {'statusCode': 200, 'body': json.dumps(items)}",
            "[ERROR] JSONDecodeError: Expecting value: line 1 column 1 (char 0)\n"
            f"{IN_HANDLER}    payload = json.loads(event['body'])",
            f"[ERROR] IndexError: list index out of range\n{IN_HANDLER}"
            "    record = event['Records'][0]",
            f"[ERROR] AttributeError: 'NoneType' object has no attribute 'get'\n{IN_HANDLER}"
            "    size = event.get('detail').get('size')",
            _lambda_json("name 'os' is not defined", "NameError"),
        ),
        (
            "The console test event has no `Records`/`body`: use the 's3-put' template for the "
            "test event, or guard with `event.get(...)`.",
            "DynamoDB returns numbers as Decimal. `json.dumps(items, default=str)` fixes the "
            "serialisation.",
            "Print the event first (`print(json.dumps(event))`) and compare it with what your "
            "code expects. The test event shape is different from the real trigger's.",
        ),
        follow_ups=("lambda.code_error", "lambda.timeout"),
    ),
    Signature(
        "lambda.sdk_config",
        6,
        {"lab4": 0.6, "lab5": 1.0},
        _in(
            "boto3",
            f"{TRACEBACK}    client = boto3.client('s3')\n"
            "botocore.exceptions.NoRegionError: You must specify a region.",
            "botocore.exceptions.EndpointConnectionError: Could not connect to the endpoint URL: "
            '"https://lambda.us-east-1a.amazonaws.com/2015-03-31/functions"',
            "botocore.exceptions.ParamValidationError: Parameter validation failed:\n"
            'Missing required parameter in input: "Key"\n'
            'Unknown parameter in input: "key", must be one of: Bucket, Key, Body, ACL',
            "botocore.exceptions.ParamValidationError: Parameter validation failed:\n"
            "Invalid type for parameter Payload, value: {'size': 128}, type: <class 'dict'>, "
            "valid types: <class 'bytes'>, <class 'bytearray'>, file-like object",
            "botocore.exceptions.UnknownServiceError: Unknown service: 'lamda'. Valid service "
            "names are: accessanalyzer, account, acm, ...",
        ),
        (
            "Set the region: `boto3.client('s3', region_name='us-east-1')`, or `aws configure "
            "set region us-east-1` on your machine.",
            "Region names have no AZ letter: us-east-1, not us-east-1a.",
            "Parameter names are case sensitive (`Key`, not `key`), and Payload must be bytes: "
            "`json.dumps(payload).encode()`.",
        ),
    ),
    Signature(
        "ec2.ssh_access",
        6,
        {"lab3": 1.0},
        _in(
            "ec2",
            "$$ ssh -i labsuser.pem ec2-user@$ip\nec2-user@$ip: Permission denied "
            "(publickey,gssapi-keyex,gssapi-with-mic).",
            "$$ ssh -i ~/Downloads/$keyfile ubuntu@$host\nssh: connect to host $host port 22: "
            "Connection timed out",
            "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
            "@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @\n"
            "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
            "Permissions 0644 for '$keyfile' are too open.\n"
            "It is required that your private key files are NOT accessible by others.\n"
            "This private key will be ignored.\n"
            'Load key "$keyfile": bad permissions\nec2-user@$ip: Permission denied (publickey).',
            'Load key "$keyfile": invalid format\nec2-user@$host: Permission denied (publickey).',
            "Failed to connect to your instance\nError establishing SSH connection to your "
            "instance. Try again later.",
        ),
        (
            "Port 22 isn't open in your security group ($sg). Add an inbound rule for SSH from "
            "My IP.",
            "`chmod 400 $keyfile` and try again.",
            "On Amazon Linux the user is ec2-user, on Ubuntu it's ubuntu. And make sure it's the "
            "key pair you chose at launch (vockey in the lab).",
        ),
        follow_ups=("ec2.ssh_access",),
    ),
    Signature(
        "ec2.capacity_limit",
        2,
        {"lab3": 1.0},
        _in(
            "ec2",
            "An error occurred (InsufficientInstanceCapacity) when calling the RunInstances "
            "operation (reached max retries: 0): We currently do not have sufficient t3.micro "
            "capacity in the Availability Zone you requested (us-east-1e). Our system will be "
            "working on provisioning additional capacity. You can currently get t3.micro "
            "capacity by not specifying an Availability Zone in your request or choosing "
            "us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1f.",
            "An error occurred (VcpuLimitExceeded) when calling the RunInstances operation: You "
            "have requested more vCPU capacity than your current vCPU limit of 32 allows for the "
            "instance bucket that the specified instance type belongs to. Please visit "
            "http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.",
            "An error occurred (InstanceLimitExceeded) when calling the RunInstances operation: "
            "Your quota allows for 0 more running instance(s). You requested at least 1",
        ),
        (
            "Pick another subnet / AZ (us-east-1a works), capacity comes and goes.",
            "The lab account caps running instances. Terminate the ones from lab 2 first.",
        ),
    ),
    Signature(
        "ec2.invalid_resource",
        3,
        {"lab3": 1.0},
        _in(
            "ec2",
            "An error occurred (InvalidAMIID.NotFound) when calling the RunInstances operation: "
            "The image id '[$ami]' does not exist",
            "An error occurred (InvalidKeyPair.NotFound) when calling the RunInstances "
            "operation: The key pair 'vockey ' does not exist",
            "An error occurred (InvalidGroup.NotFound) when calling the RunInstances operation: "
            "The security group '$sg' does not exist in VPC '$vpc'",
            "An error occurred (InvalidParameterValue) when calling the RunInstances operation: "
            "Invalid value 't3.mirco' for InstanceType.",
        ),
        (
            "AMI ids are per region: that one is from us-west-2. Look up the Amazon Linux 2023 "
            "AMI in us-east-1 (or use the SSM parameter).",
            "There's a trailing space in the key name in your script.",
            "Check the spelling and the region: the resource exists, just not where the call went.",
        ),
    ),
    Signature(
        "cloudwatch.log_group_missing",
        4,
        {"lab4": 1.0, "lab5": 0.8},
        _in(
            "logs",
            "$$ aws logs tail /aws/lambda/$fn --follow\n\nAn error occurred "
            "(ResourceNotFoundException) when calling the FilterLogEvents operation: The "
            "specified log group does not exist.",
            "An error occurred (ResourceNotFoundException) when calling the GetLogEvents "
            "operation: The specified log stream does not exist.",
            "Log group does not exist\nThe specific log group: /aws/lambda/$fn does not exist in "
            "this account or region.",
            f"{TRACEBACK}    resp = logs.get_log_events(logGroupName=group, logStreamName=stream)\n"
            "botocore.errorfactory.ResourceNotFoundException: An error occurred "
            "(ResourceNotFoundException) when calling the GetLogEvents operation: The specified "
            "log group does not exist.",
        ),
        (
            "The log group only appears after the first invocation. Invoke it once, then look.",
            "Check the region in the console (top right): your function is in us-east-1, the "
            "console is showing us-west-2.",
        ),
    ),
    Signature(
        "cloudwatch.no_logs",
        5,
        {"lab4": 1.0, "lab5": 0.8},
        _in(
            "logs",
            "the test says Succeeded but there is nothing in CloudWatch for $fn. The log group "
            "/aws/lambda/$fn is there but it says *No log streams*. where do my print() go??",
            "my print statements don't show up anywhere in CloudWatch Logs. Monitor tab -> View "
            "CloudWatch logs -> empty, no events at all",
            "S3 upload should trigger $fn but I see zero logs in CloudWatch, not even START / "
            "END lines. the function has never logged anything",
            "`aws logs tail /aws/lambda/$fn --since 1h` just prints nothing and exits. I "
            "invoked the function like 10 times",
        ),
        (
            "Nothing in the log group usually means the trigger never fired: check the S3 event "
            "notification (prefix/suffix filters) on $bucket.",
            "If the function's role can't write logs you get no streams at all. Use LabRole as "
            "the execution role, it includes the logs permissions.",
        ),
        prose=True,
    ),
    Signature(
        "cloudwatch.alarm_or_metric",
        2,
        {"lab5": 1.0},
        _in(
            "cloudwatch",
            "my alarm `$fn-errors` has been stuck in INSUFFICIENT_DATA for 2 hours even though "
            "I invoked the function a bunch of times. State reason: `Insufficient Data: 5 "
            "datapoints were unknown.`",
            "the Errors metric for $fn doesn't show up when I create the alarm, metric search "
            "finds nothing for my function name",
        ),
        (
            "The alarm's dimension has to be FunctionName=$fn exactly; yours has a typo, so it "
            "watches a metric that never gets data.",
            "Lambda only emits the metric after an invocation in that period. Set 'Treat missing "
            "data as not breaching'.",
        ),
        prose=True,
    ),
)
BY_ID = {s.id: s for s in SIGNATURES}

# --------------------------------------------------------------------------------------------
# How learners write around an error, and everything that is not an incident.
# --------------------------------------------------------------------------------------------

INTROS = {
    "iam": (
        "getting this when I deploy, any idea?",
        "stuck on step $step of $labname for an hour now:",
        "$labname step $step fails for me:",
        "I'm following the lab guide exactly and get",
        "help pls :sob:",
        "does anyone know what this means?",
    ),
    "lambda_blame": (
        "my lambda code must be broken, deploy keeps failing:",
        "is something wrong with my boto3 code?? the function won't even create",
        "Lambda is broken for me :sob: I haven't changed the starter code",
        "pretty sure my handler is fine but my deploy script dies with",
        "my lambda function keeps erroring, I rewrote the handler twice already",
        "boto3 hates me. the lambda part of $labname fails with",
    ),
    "s3": (
        "trying to upload my site files:",
        "S3 question for $labname step $step:",
        "my website bucket isn't working",
        "anyone else get this on the S3 part?",
        "uploading to my bucket fails:",
    ),
    "lambda": (
        "my function fails when I test it:",
        "lambda test event gives me this:",
        "step $step, the function runs but errors out:",
        "got my code uploaded but now",
        "checked CloudWatch, this is what my function logs:",
    ),
    "ec2": (
        "can't get into my instance:",
        "EC2 part of $labname isn't working for me:",
        "trying to ssh into the web server from step $step",
        "instance won't launch / connect:",
    ),
    "cloudwatch": (
        "CloudWatch question:",
        "logs question for $labname:",
        "can't find my logs:",
    ),
}
OUTROS = (
    "",
    "",
    "",
    "what am I doing wrong?",
    "any ideas?",
    "thanks in advance!",
    "I already tried restarting the lab.",
    "been stuck on this for an hour :(",
    "tried googling, no luck",
    "is it me or the lab?",
)
SECOND_ERROR = (
    "ok that got me past it but now I get this:",
    "did that, now a different error:",
    "hmm now it says",
    "progress! but now:",
)
SAME_AGAIN = (
    "fixed that, and now I get the same kind of error again:",
    "still failing, slightly different now:",
)
STILL_STUCK = (
    "still the same error after that :(",
    "tried that, no change",
    "hmm, didn't help. I'll come to office hours",
)
THANKS = (
    "that worked, thanks!",
    "that worked!! thank you so much",
    "yep that fixed it, ty",
    "omg that was it. works now :pray:",
    "works now, thanks <@$ta>!",
    "that was it, thanks. deploy went through",
    "fixed it, thank you!",
    "confirmed working now, thanks for the quick help",
)
PLUS_ONES = ("+1", "same here", "+1 getting this too", "following", "same error :(", "+1 same")
TA_OPENERS = ("", "", "Hi! ", "Good question. ", "Ah, classic one. ", "Thanks for the full error. ")

GREETINGS = (
    "hi everyone! excited to start :wave:",
    "hello from Ohio :wave:",
    "hey all, first time touching AWS, be gentle",
    "good morning!",
    "hi! looking forward to the labs",
    "hello :slightly_smiling_face:",
    "hey folks, glad to be here",
    "morning all :coffee:",
)
LOGISTICS = (
    ("when is $lab due?", "$due, 23:59 ET."),
    ("are there office hours today?", "Yes, 4-6pm ET, link is pinned in the channel."),
    (
        "do we submit screenshots or the CLI output?",
        "Both: screenshot of the working result plus the output of the check command.",
    ),
    (
        "can I use my own AWS account instead of the lab one?",
        "Please use the lab account; the grader checks resources there.",
    ),
    (
        "how long does a lab session last? my timer says 3h left",
        "4 hours, then it stops. Your resources stay, just start the lab again.",
    ),
    ("where do I find the starter code for $lab?", "Module page > $lab > Files, it's a zip."),
    (
        "do we need to stop the EC2 instance after we're done?",
        "Yes please stop it, it keeps the budget down.",
    ),
    ("will Thursday's session be recorded?", "Yes, it'll be posted by Friday."),
    ("which region should we use?", "us-east-1 for everything in this course."),
    ("is $lab individual or group work?", "Individual, but talking it through here is encouraged."),
    ("my lab budget says $$3.20 used, is that ok?", "Totally fine, you have $$50."),
    ("is the quiz this week open book?", "Yes, open notes, 45 minutes."),
)
LOGISTICS_THANKS = ("thanks!", "perfect, thank you", "ty!", "great, thanks")
TOP_THANKS = (
    "thanks <@$ta> for the help yesterday!",
    "office hours were super helpful, thank you",
    "shoutout to <@$ta> for staying late :pray:",
    "thanks everyone for the tips in here",
    "appreciate the quick answers in this channel :raised_hands:",
)
LINKS = (
    "this helped me with the handler setting: "
    "<https://docs.aws.amazon.com/lambda/latest/dg/python-handler.html>",
    "good walkthrough of S3 static websites "
    "<https://docs.aws.amazon.com/AmazonS3/latest/userguide/WebsiteHosting.html>",
    "CLI reference for s3 commands <https://docs.aws.amazon.com/cli/latest/reference/s3/>",
    "nice video on security groups <https://www.youtube.com/watch?v=Hh3RkZAtB9c>",
    "packaging python deps for lambda: "
    "<https://docs.aws.amazon.com/lambda/latest/dg/python-package.html>",
    "in case anyone wants it, the boto3 S3 docs "
    "<https://boto3.amazonaws.com/v1/documentation/api/latest/reference/services/s3.html>",
)
EMOJI_ONLY = (":tada:", ":raised_hands:", ":pray:", ":+1:", ":sweat_smile:", ":100:", ":rocket:")
CHIT_CHAT = (
    ("anyone want to pair on $lab tonight?", ("I'm in!", "maybe after 8?", "yes pls")),
    ("how's everyone doing with $lab?", ("almost done :sweat_smile:", "halfway", "just started")),
    ("finally finished $lab :tada:", ("congrats!", ":tada:", "nice!!")),
    ("coffee break, my brain hurts", ("same lol", ":coffee:")),
    ("is anyone else's lab timer reset after restarting?", ("yes mine too", "same")),
)
NEVERMIND = (
    "nvm figured it out",
    "never mind, I was in the wrong region lol",
    "ignore my question from earlier, typo on my side",
    "solved it myself, thanks anyway",
)

ANNOUNCE_WELCOME = (
    "Welcome to $course! :wave: This channel is for $labtitle. When you're stuck, post the "
    "exact error text, the command you ran, and which step you're on. TAs: <@$ta1>, <@$ta2>, "
    "<@$ta3>."
)
ANNOUNCE_RELEASE = "$labtitle is out! Due $due at 23:59 ET. Ask here, we're watching."
ANNOUNCE_EXTENSION = (
    "Lab 4 deadline moved to Wednesday Oct 7 because of the role trouble last week. Sorry, "
    "that one was on us."
)
ANNOUNCE_PREFLIGHT = (
    "New for labs 4 and 5: run `python preflight.py` in the lab terminal before you deploy. It "
    "checks that LabRole exists and that your session can use it, and prints the role ARN to "
    "paste. The lab guides now also have a flowchart for choosing the role."
)
ANNOUNCE_BROADCAST = (
    "Heads up everyone: if creating your function fails, choose 'Use an existing role' and "
    "pick LabRole. The lab accounts can't create roles or hand other roles to Lambda."
)
ANNOUNCE_LAST_WEEK = "Last week of the cohort! Extra office hours Thursday 4-6pm ET, link pinned."
OFFICE_HOURS = "Office hours today 4-6pm ET: <https://zoom.us/j/$zoom>"
BOT_REMINDER = "Reminder: $lab is due $due at 23:59 ET."

FIRST_NAMES = (
    "Maya",
    "Jordan",
    "Priya",
    "Diego",
    "Aisha",
    "Liam",
    "Mei",
    "Omar",
    "Sofia",
    "Kwame",
    "Hannah",
    "Ravi",
    "Elena",
    "Marcus",
    "Yuki",
    "Fatima",
    "Noah",
    "Ines",
    "Tariq",
    "Chloe",
    "Mateo",
    "Amara",
    "Ben",
    "Leila",
    "Samir",
    "Grace",
    "Dmitri",
    "Zoe",
    "Kenji",
    "Nadia",
    "Ethan",
    "Lucia",
    "Arjun",
    "Rosa",
    "Tomás",
    "Keisha",
    "Felix",
    "Anya",
    "Jamal",
    "Ingrid",
)
LAST_NAMES = (
    "Reyes",
    "Lee",
    "Natarajan",
    "Okafor",
    "Novak",
    "Chen",
    "Haddad",
    "Kim",
    "Silva",
    "Mensah",
    "Schmidt",
    "Patel",
    "Rossi",
    "Johnson",
    "Tanaka",
    "Ali",
    "Brown",
    "Garcia",
    "Nguyen",
    "Murphy",
    "Costa",
    "Ivanova",
    "Khan",
    "Walker",
    "Osei",
    "Moreau",
    "Park",
    "Lopez",
    "Dubois",
    "Adeyemi",
    "Fischer",
    "Yilmaz",
    "Singh",
    "Carter",
    "Berg",
    "Santos",
    "Wright",
    "Mwangi",
)
TIMEZONES = (  # (tz, label, offset): most of the cohort is on US Eastern
    ("America/New_York", "Eastern Daylight Time", -14400),
    ("America/Chicago", "Central Daylight Time", -18000),
    ("America/Denver", "Mountain Daylight Time", -21600),
    ("America/Los_Angeles", "Pacific Daylight Time", -25200),
)
EMAIL_DOMAINS = ("northfield.edu", "gmail.com", "outlook.com", "lakeside-college.org")

# Roles learners make themselves; LabRole is the one the lab accounts let them use.
OWN_ROLES = ("lambda-exec-role", "MyLambdaRole", "lab4-lambda-role", "LambdaBasicRole")
FUNCTIONS = (
    "lab4-handler",
    "thumbnailer",
    "ProcessUpload",
    "lab5-resize",
    "hello-lambda",
    "s3-trigger-fn",
    "image-resizer",
    "lab4-function",
)
BUCKET_WORDS = ("site", "bucket", "web", "images")
MODULES = ("requests", "PIL", "pandas", "numpy", "yaml", "jwt")
REGIONS = ("us-west-2", "us-east-2", "eu-west-1")
KEYS = (
    "uploads/cat photo.jpg",
    "data/input.csv",
    "images/IMG_2041.JPG",
    "index.html",
    "uploads/my+photo.png",
    "reports/report.csv",
)


# --------------------------------------------------------------------------------------------
# People and channels.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: str
    handle: str
    real_name: str
    role: str  # learner, ta, lead
    tz: tuple[str, str, int]
    account: str  # the 12-digit AWS account of their lab environment
    session: str  # their voclabs session name, as it shows in ARNs

    def profile(self) -> dict:
        return {"real_name": self.real_name, "display_name": self.handle, "name": self.handle}

    def record(self) -> dict:
        tz, label, offset = self.tz
        return {
            "id": self.id,
            "team_id": TEAM,
            "name": self.handle,
            "deleted": False,
            "real_name": self.real_name,
            "tz": tz,
            "tz_label": label,
            "tz_offset": offset,
            "profile": {
                "real_name": self.real_name,
                "display_name": self.handle,
                "title": {"ta": "Teaching assistant", "lead": "Course lead"}.get(self.role, ""),
            },
            "is_admin": self.role == "lead",
            "is_bot": False,
        }


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    lab: str


@dataclass
class Roster:
    """Who is in one cohort, and its channels. Cohort 0 is the demo cohort."""

    learners: list[Person]
    tas: list[Person]
    lead: Person
    channels: dict[str, Channel]  # by lab
    course: str

    @property
    def people(self) -> list[Person]:
        return [self.lead, *self.tas, *self.learners]


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randrange(10 ** (n - 1), 10**n))


def _b64(rng: random.Random, n: int) -> str:
    """n random base64 characters (request host ids, secret keys, session tokens)."""
    return base64.b64encode(rng.randbytes(n)).decode()[:n]


def _b32(rng: random.Random, n: int) -> str:
    """n random characters of A-Z2-7 (access key ids, S3 request ids, file ids)."""
    return base64.b32encode(rng.randbytes(n)).decode()[:n]


def _hex(rng: random.Random, n: int) -> str:
    return rng.randbytes(n).hex()[:n]


def make_roster(seed: int, index: int) -> Roster:
    """The cohort's people and channels, from its own random stream (cheap: no messages)."""
    rng = random.Random(f"{seed}/roster/{index}")
    tag = "0DEMO" if index == 0 else f"{index:05d}"
    names = rng.sample([(f, last) for f in FIRST_NAMES for last in LAST_NAMES], 44)

    def person(i: int, role: str, uid: str) -> Person:
        first, last = names[i]
        handle = f"{first.lower()}.{last.lower()}".replace("á", "a").replace("ó", "o")
        tz = TIMEZONES[0] if role != "learner" or rng.random() < 0.8 else rng.choice(TIMEZONES)
        session = f"user{_digits(rng, 7)}={first}_{last}"
        return Person(uid, handle, f"{first} {last}", role, tz, _digits(rng, 12), session)

    learners = [person(i, "learner", f"U{tag}L{i + 1:03d}") for i in range(40)]
    tas = [person(40 + i, "ta", f"U{tag}TA{i + 1:02d}") for i in range(3)]
    lead = person(43, "lead", f"U{tag}LEAD")
    if index == 0:
        channels = {lab: Channel(f"C0DEMO{lab.upper()}", f"help-{lab}", lab) for lab in LABS}
        course = COURSE
    else:
        channels = {
            lab: Channel(f"C{index:05d}{lab.upper()}", f"help-{lab}-c{index:03d}", lab)
            for lab in LABS
        }
        course = f"Cloud Foundations, fall 2026, section {index + 1}"
    return Roster(learners, tas, lead, channels, course)


def channel_records(roster: Roster) -> list[dict]:
    created = START - 6 * DAY
    members = [p.id for p in roster.people]
    return [
        {
            "id": ch.id,
            "name": ch.name,
            "created": created,
            "creator": roster.lead.id,
            "is_archived": False,
            "is_general": False,
            "members": members,
            "topic": {
                "value": f"{roster.course}: {LAB_TITLES[ch.lab]}",
                "creator": roster.lead.id,
                "last_set": created,
            },
            "purpose": {
                "value": f"Help with {ch.lab[:3].title()} {ch.lab[3:]}: post the exact "
                "error, the command and the step.",
                "creator": roster.lead.id,
                "last_set": created,
            },
        }
        for ch in roster.channels.values()
    ]


# --------------------------------------------------------------------------------------------
# The plan: how many incidents of each signature land in which week and lab. The same for
# every cohort, so every cohort has exactly the domain counts of the original analysis.
# --------------------------------------------------------------------------------------------


def _largest_remainder(total: int, weights: dict[tuple[int, str], float]) -> dict:
    """Split `total` over the keys in proportion to their weights, in whole numbers."""
    norm = sum(weights.values())
    raw = {k: total * w / norm for k, w in weights.items()}
    counts = {k: int(v) for k, v in raw.items()}
    short = total - sum(counts.values())
    for k in sorted(raw, key=lambda k: (counts[k] - raw[k], k))[:short]:
        counts[k] += 1
    return {k: n for k, n in counts.items() if n}


def _week_factor(sig: Signature, week: int, lab: str) -> float:
    """The story of the cohort: an IAM burst when lab 4 opens, a fall after the week-5 fix."""
    if sig.domain != "iam" or sig.id == "iam.credentials":
        return 1.0
    if lab == "lab4" and week == 3:
        return 1.8 if sig.id == "iam.passrole" else 1.2
    if week >= 5:
        return {"iam.passrole": 0.12, "iam.trust_policy": 0.3}.get(sig.id, 1.0)
    return 1.0


def incident_plan() -> list[tuple[str, int, str]]:
    """(signature, week, lab) for the cohort's incidents, in a fixed order."""
    plan = []
    for sig in SIGNATURES:
        weights = {
            (week, lab): LAB_ACTIVITY[lab][week - 1] * share * _week_factor(sig, week, lab)
            for lab, share in sig.labs.items()
            for week in range(1, WEEKS + 1)
            if LAB_ACTIVITY[lab][week - 1]
        }
        for (week, lab), n in _largest_remainder(sig.count, weights).items():
            plan.extend([(sig.id, week, lab)] * n)
    return plan


PLAN = incident_plan()
# How incidents end: ~70 % the asker says it worked (half of them also tick the root),
# ~15 % only the tick, ~15 % never resolved.
OUTCOMES: dict[str | None, int] = {
    "reply": 56,
    "reply+reaction": 56,
    "reaction": 24,
    None: len(PLAN) - 136,
}
# Time to resolution, log-normal (median minutes, sigma): identity problems take longest.
RESOLVE_MINUTES = {
    "iam": (210, 1.35),
    "s3": (45, 1.0),
    "lambda": (70, 1.0),
    "ec2": (50, 0.9),
    "cloudwatch": (75, 0.9),
}


# --------------------------------------------------------------------------------------------
# Building one cohort's messages.
# --------------------------------------------------------------------------------------------


@dataclass
class Label:
    """Ground truth for one incident root."""

    channel: str
    ts: str
    domain: str
    signature: str
    surfaced_in: str
    blamed_lambda: bool
    resolved_by: str | None  # "reply", "reaction", "reply+reaction" or None (open)
    resolved_ts: str | None
    week: int

    def record(self) -> dict:
        return asdict(self)


@dataclass
class CohortBuilder:
    """Writes one cohort's messages into per-channel lists, with thread bookkeeping."""

    roster: Roster
    rng: random.Random
    messages: dict[str, list[dict]] = field(default_factory=dict)  # channel id -> messages
    used_ts: set[tuple[str, str]] = field(default_factory=set)
    labels: list[Label] = field(default_factory=list)
    secrets: list[dict] = field(default_factory=list)
    learner_weights: list[float] = field(default_factory=list)  # cumulative, for choices()
    decks: dict[int, list] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Some learners ask a lot, most ask a little, a few never do.
        self.learner_weights = list(
            accumulate(self.rng.paretovariate(1.6) for _ in self.roster.learners)
        )
        self.messages = {ch.id: [] for ch in self.roster.channels.values()}

    # -- time ---------------------------------------------------------------------------------

    def stamp(self, channel: Channel, sec: int) -> str:
        """A ts string, unique in its channel (Slack's own guarantee)."""
        while True:
            ts = f"{sec}.{self.rng.randrange(1, 1_000_000):06d}"
            if (channel.id, ts) not in self.used_ts:
                self.used_ts.add((channel.id, ts))
                return ts

    def moment(self, week: int) -> int:
        """A plausible posting time in a week: mostly working hours, US Eastern."""
        rng = self.rng
        day = rng.choices(range(7), WEEKDAY_WEIGHTS)[0]
        if day >= 5:
            hour = rng.uniform(10, 22)
        elif rng.random() < 0.18:
            hour = rng.uniform(18, 23.5)
        else:
            hour = rng.choice((rng.uniform(9, 12), rng.uniform(13, 17.5), rng.uniform(9, 18)))
        return START + ((week - 1) * 7 + day) * DAY + int(hour * 3600)

    def reply_delay(self, median_minutes: float, sigma: float, start: int) -> int:
        """Seconds until the next reply: log-normal, and nobody answers between 1 and 8 am."""
        sec = start + int(60 * max(1.0, self.rng.lognormvariate(0, sigma) * median_minutes))
        return self.night_shift(sec) - start

    def night_shift(self, sec: int) -> int:
        """Move a moment between 1 and 8 am Eastern to the next morning."""
        hour = ((sec - START) % DAY) / 3600
        if 1 <= hour < 8:
            sec += int((8 - hour) * 3600) + self.rng.randrange(0, 5400)
        return sec

    def resolve_minutes(self) -> list[float]:
        """Each incident's time to resolution, drawn per domain by stratified quantiles.

        Stratified (not independent) draws keep each domain's median where RESOLVE_MINUTES puts
        it even for a domain with 11 incidents, so IAM is the slowest in every cohort.
        """
        minutes: dict[str, list[float]] = {}
        for domain, (median, sigma) in RESOLVE_MINUTES.items():
            n = sum(1 for sig, _, _ in PLAN if BY_ID[sig].domain == domain)
            draws = [median * math.exp(sigma * NORMAL.inv_cdf((i + 0.5) / n)) for i in range(n)]
            self.rng.shuffle(draws)
            minutes[domain] = [min(m, 2 * 24 * 60 + 120) for m in draws]
        return [minutes[BY_ID[sig].domain].pop() for sig, _, _ in PLAN]

    # -- message dicts ------------------------------------------------------------------------

    def _client_msg_id(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"

    def post(
        self,
        channel: Channel,
        who: Person,
        sec: int,
        text: str,
        *,
        root: dict | None = None,
        subtype: str | None = None,
        **extra,
    ) -> dict:
        message = {"client_msg_id": self._client_msg_id(), "type": "message"}
        if subtype:
            message["subtype"] = subtype
        message |= {
            "text": text,
            "user": who.id,
            "ts": self.stamp(channel, sec),
            "team": TEAM,
            "user_team": TEAM,
            "source_team": TEAM,
            "user_profile": who.profile(),
        }
        message |= extra
        if root is not None:
            message["thread_ts"] = root["ts"]
            message["parent_user_id"] = root["user"]
            root.setdefault("_replies", []).append(message)
        self.messages[channel.id].append(message)
        return message

    def react(self, message: dict, name: str, users: list[str]) -> None:
        if users:
            message.setdefault("reactions", []).append(
                {"name": name, "users": users, "count": len(users)}
            )

    def edit(self, message: dict, after: int) -> None:
        edited_at = _ts_key(message)[0] + after
        message["edited"] = {"user": message["user"], "ts": f"{edited_at}.000000"}

    # -- picking people and words --------------------------------------------------------------

    def learner(self, exclude: tuple[str, ...] = ()) -> Person:
        while True:
            p = self.rng.choices(self.roster.learners, cum_weights=self.learner_weights)[0]
            if p.id not in exclude:
                return p

    def ta(self) -> Person:
        if self.rng.random() < 0.05:
            return self.roster.lead
        return self.rng.choices(self.roster.tas, (0.45, 0.35, 0.2))[0]

    def learner_voice(self, text: str) -> str:
        """Learners type fast: lower case, the odd swapped letter."""
        rng = self.rng
        if text and rng.random() < 0.35:
            text = text[0].lower() + text[1:]
        if rng.random() < 0.2:
            words = text.split(" ")
            i = rng.randrange(len(words))
            w = words[i]
            if len(w) > 3 and w.isalpha():
                j = rng.randrange(len(w) - 1)
                words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
            text = " ".join(words)
        return text

    def deal(self, pool: tuple) -> object:
        """The next item of a shuffled deck of `pool`: chatter repeats only once it has all run."""
        deck = self.decks.get(id(pool))
        if not deck:
            deck = self.decks[id(pool)] = self.rng.sample(pool, len(pool))
        return deck.pop()

    def fill(self, template: str, ctx: dict[str, str]) -> str:
        return Template(template).substitute(ctx)

    # -- incidents ----------------------------------------------------------------------------

    def context(self, asker: Person, lab: str, sec: int) -> dict[str, str]:
        """Values for the error templates: this learner's account, names, ids, times."""
        rng = self.rng
        first = asker.handle.split(".")[0]
        fn = rng.choice(FUNCTIONS)
        octets = (rng.choice((3, 18, 34, 44, 52, 54)), *rng.sample(range(1, 255), 3))
        ip = ".".join(map(str, octets))
        timeout = rng.choice((3.0, 3.0, 3.0, 6.0, 10.0, 15.0)) + rng.randrange(0, 4) / 100
        mem = rng.choice((128, 128, 256, 512))
        req = self._client_msg_id()
        return {
            "acct": asker.account,
            "sess": asker.session,
            "iamuser": f"student-{first}",
            "role": rng.choice(OWN_ROLES),
            "fn": fn,
            "logical": "ThumbnailFunction",
            "bucket": f"{first}-{lab}-{rng.choice(BUCKET_WORDS)}-{rng.randrange(10, 9999)}",
            "key": rng.choice(KEYS),
            "region": "us-east-1",
            "region2": rng.choice(REGIONS),
            "req": req,
            "req2": self._client_msg_id(),
            "s3req": _b32(rng, 16),
            "hostid": _b64(rng, 76) + "=",
            "encoded": _b64(rng, 96),
            "iso": datetime.fromtimestamp(
                sec - rng.randrange(60_000, 900_000) / 1000, UTC
            ).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
            + "Z",
            "ip": ip,
            "host": f"ec2-{ip.replace('.', '-')}.compute-1.amazonaws.com",
            "keyfile": rng.choice(("labsuser.pem", "vockey.pem", f"{first}-key.pem")),
            "ami": f"ami-0{_hex(rng, 16)}",
            "sg": f"sg-0{_hex(rng, 16)}",
            "vpc": f"vpc-0{_hex(rng, 16)}",
            "table": rng.choice(("Orders", "Thumbnails", "lab5-images", "Visits")),
            "pyfile": rng.choice(("lambda_function", "lambda_function", "app", "handler")),
            "handler": rng.choice(("lambda_handler", "lambda_handler", "handler", "main")),
            "module": rng.choice(MODULES),
            "line": str(rng.randrange(5, 60)),
            "script": rng.choice(("deploy.py", "upload.py", "lab.py", "main.py")),
            "site": "/usr/local/lib/python3.12/site-packages",
            "secs": f"{timeout:.2f}",
            "dur": f"{timeout * 1000 + rng.uniform(0.5, 9):.2f}",
            "billed": str(int(timeout * 1000)),
            "mem": str(mem),
            "used": str(rng.randrange(60, mem)),
            "step": str(rng.randrange(2, 9)),
            "lab": lab,
            "labname": f"lab {lab[3:]}",
            "ta": self.roster.tas[0].id,
        }

    def error_block(self, sig: Signature, ctx: dict[str, str]) -> tuple[str, str]:
        """(surfaced service, the error as a learner pastes it: fenced, inline or bare)."""
        service, template = self.deal(sig.errors)
        error = self.fill(template, ctx)
        if sig.prose:
            return service, error
        style = self.rng.random()
        if "\n" in error or len(error) > 160:
            fenced = f"```\n{error}\n```" if style < 0.7 else f"```{error}```"
        else:
            fenced = f"`{error}`" if style < 0.5 else (f"```{error}```" if style < 0.8 else error)
        return service, fenced

    def incident_text(self, sig: Signature, ctx: dict[str, str]) -> tuple[str, str, bool]:
        """A root message: learner's words around a real error. Returns (text, surfaced, blamed)."""
        rng = self.rng
        service, block = self.error_block(sig, ctx)
        deploying = service in ("lambda", "cloudformation")
        blamed = sig.domain == "iam" and deploying and rng.random() < 0.8
        if sig.prose:
            return self.learner_voice(block), service, False
        intro_key = "lambda_blame" if blamed else sig.domain
        intro = self.learner_voice(self.fill(rng.choice(INTROS[intro_key]), ctx))
        outro = self.fill(rng.choice(OUTROS), ctx)
        text = f"{intro}\n{block}" if block.startswith("```") else f"{intro} {block}"
        return (f"{text}\n{outro}" if outro else text), service, blamed

    def advice(self, sig: Signature, ctx: dict[str, str]) -> str:
        opener = self.rng.choice(TA_OPENERS)
        return opener + self.fill(self.rng.choice(sig.advice), ctx)

    def incident(
        self,
        sig: Signature,
        week: int,
        channel: Channel,
        outcome: str | None,
        resolve_minutes: float,
        flags: set[str],
    ) -> None:
        """One incident thread: root, TA advice, maybe a second error, resolution or not."""
        rng = self.rng
        asker = self.learner()
        t0 = self.moment(week)
        ctx = self.context(asker, channel.lab, t0)
        text, surfaced, blamed = self.incident_text(sig, ctx)
        extra = {}
        if "leak_akia" in flags or "leak_asia" in flags:
            text += self.leak(ctx, "AKIA" if "leak_akia" in flags else "ASIA")
        if "file_share" in flags:
            extra = {
                "subtype": "file_share",
                "files": [self.file(asker, t0, "terminal.png")],
                "upload": False,
                "display_as_bot": False,
            }
            text = f"screenshot of my terminal, this is what I get\n{text}"
        subtype = extra.pop("subtype", None)
        root = self.post(channel, asker, t0, text, subtype=subtype, **extra)
        if flags & {"leak_akia", "leak_asia"}:
            self.secrets.append(
                {
                    "channel": channel.id,
                    "ts": root["ts"],
                    "kinds": ["aws_access_key_id", "aws_secret_access_key"]
                    + (["aws_session_token"] if "leak_asia" in flags else []),
                }
            )
        if rng.random() < 0.08:
            self.edit(root, rng.randrange(20, 600))

        resolve_at = self.night_shift(t0 + int(resolve_minutes * 60))
        ta = self.ta()
        events: list[tuple[str, Person]] = []  # (kind, who) in time order after the root
        burst = sig.id == "iam.passrole" and week == 3
        piling_on = rng.choices((0, 1, 2, 3), (76, 17, 5, 2) if not burst else (30, 35, 20, 15))[0]
        for _ in range(piling_on):
            seen = (asker.id, *(who.id for _, who in events))
            events.append(("plus_one", self.learner(exclude=seen)))
        if outcome is not None or "broadcast" in flags or rng.random() < 0.85:
            events.append(("advice", ta))
        if rng.random() < 0.18 and events and events[-1][0] == "advice":
            events += [("second_error", asker), ("advice", ta)]
        elif rng.random() < 0.15 and events and events[-1][0] == "advice":
            events.append(("advice", ta))
        if outcome is None and rng.random() < 0.3:
            events.append(("still_stuck", asker))
        if outcome in ("reply", "reply+reaction"):
            events.append(("thanks", asker))

        times = self.thread_times(t0, resolve_at, len(events))
        broadcast_done = False
        for (kind, who), sec in zip(events, times, strict=True):
            if kind == "plus_one":
                self.post(channel, who, sec, rng.choice(PLUS_ONES), root=root)
            elif kind == "advice":
                if "broadcast" in flags and not broadcast_done:
                    broadcast_done = True
                    self.post(
                        channel,
                        who,
                        sec,
                        ANNOUNCE_BROADCAST,
                        root=root,
                        subtype="thread_broadcast",
                        root_summary=True,
                    )
                else:
                    self.post(channel, who, sec, self.advice(sig, ctx), root=root)
            elif kind == "second_error":
                follow = BY_ID[rng.choice(sig.follow_ups or (sig.id,))]
                _, block = self.error_block(follow, self.context(asker, channel.lab, sec))
                lead_in = rng.choice(SAME_AGAIN if follow is sig else SECOND_ERROR)
                words = self.learner_voice(lead_in)
                self.post(channel, who, sec, f"{words}\n{block}", root=root)
            elif kind == "still_stuck":
                self.post(channel, who, sec, rng.choice(STILL_STUCK), root=root)
            else:
                self.post(
                    channel, who, sec, self.fill(rng.choice(THANKS), {"ta": ta.id}), root=root
                )
        resolved_sec = times[-1] if outcome in ("reply", "reply+reaction") else None
        if outcome in ("reaction", "reply+reaction"):
            self.react(root, "white_check_mark", [asker.id])
            resolved_sec = resolved_sec or min(max([resolve_at, *times]) + 60, END - 60)
        plus = [who.id for kind, who in events if kind == "plus_one"]
        self.react(
            root,
            "+1",
            plus + ([self.learner(exclude=(asker.id, *plus)).id] if rng.random() < 0.2 else []),
        )
        if rng.random() < 0.15:
            self.react(root, "eyes", [ta.id])
        resolved_ts = None
        if outcome in ("reply", "reply+reaction"):
            resolved_ts = root["_replies"][-1]["ts"]
        elif resolved_sec:
            resolved_ts = f"{resolved_sec}.000000"
        self.labels.append(
            Label(
                channel.id,
                root["ts"],
                sig.domain,
                sig.id,
                surfaced,
                blamed,
                outcome,
                resolved_ts,
                week,
            )
        )

    def thread_times(self, t0: int, resolve_at: int, n: int) -> list[int]:
        """n reply times after t0, the last near resolve_at, all inside the course window."""
        if not n:
            return []
        first = t0 + self.reply_delay(18, 1.0, t0)
        span = max(resolve_at, first + 60 * n)
        middle = sorted(int(self.rng.uniform(first, span)) for _ in range(n - 2))
        times = [first, *middle, span][:n]
        limit = END - 600
        if times[-1] > limit:  # squeeze threads of the last hours into the course window
            times = [t0 + int((t - t0) * (limit - t0) / (times[-1] - t0)) for t in times]
        for i in range(1, n):  # strictly increasing, a minute apart at least
            times[i] = max(times[i], times[i - 1] + 60)
        return times

    def leak(self, ctx: dict[str, str], prefix: str) -> str:
        """A learner pasting their credentials file: the bot must redact all of it."""
        key = prefix + _b32(self.rng, 16)
        secret = _b64(self.rng, 40)
        lines = ["[default]", f"aws_access_key_id = {key}", f"aws_secret_access_key = {secret}"]
        if prefix == "ASIA":
            lines.append(f"aws_session_token = IQoJb3JpZ2luX2VjE{_b64(self.rng, 180)}")
        lines.append("region = us-east-1")
        body = "\n".join(lines)
        return f"\nhere's my ~/.aws/credentials in case it helps:\n```\n{body}\n```"

    def file(self, who: Person, sec: int, name: str) -> dict:
        fid = "F0" + _b32(self.rng, 9)
        kind, mime = ("png", "image/png") if name.endswith(".png") else ("pdf", "application/pdf")
        return {
            "id": fid,
            "created": sec,
            "timestamp": sec,
            "name": name,
            "title": name,
            "mimetype": mime,
            "filetype": kind,
            "pretty_type": kind.upper(),
            "user": who.id,
            "mode": "hosted",
            "size": self.rng.randrange(20_000, 900_000),
            "url_private": f"https://files.slack.com/files-pri/{TEAM}-{fid}/{name}",
        }

    # -- chatter ------------------------------------------------------------------------------

    def chatter(self) -> None:
        """Everything that is not an incident: announcements, logistics, thanks, joins, bots."""
        rng, r = self.rng, self.roster
        ch = r.channels
        subs = {"course": r.course, "ta1": r.tas[0].id, "ta2": r.tas[1].id, "ta3": r.tas[2].id}
        at = START + 9 * 3600 + 5 * 60
        learners_ids = [p.id for p in r.learners]
        for lab, week in (("lab3", 1), ("lab4", 3), ("lab5", 5)):
            opened = at + (week - 1) * 7 * DAY
            text = ANNOUNCE_WELCOME if lab == "lab3" else ANNOUNCE_RELEASE
            msg = self.post(
                ch[lab],
                r.lead,
                opened,
                self.fill(text, subs | {"labtitle": LAB_TITLES[lab], "due": LAB_DUE[lab]}),
            )
            self.react(msg, "tada", rng.sample(learners_ids, rng.randrange(3, 12)))
            for p in rng.sample(r.learners, 6):  # a few people added late to each channel
                self.join(ch[lab], p, opened - rng.randrange(600, 3600), r.lead)
        ext = self.post(ch["lab4"], r.lead, START + 21 * DAY + 10 * 3600, ANNOUNCE_EXTENSION)
        self.react(ext, "raised_hands", rng.sample(learners_ids, 9))
        for lab in ("lab4", "lab5"):
            fix = self.post(ch[lab], r.lead, START + 28 * DAY + 9 * 3600 + 1800, ANNOUNCE_PREFLIGHT)
            self.react(fix, "+1", rng.sample(learners_ids, rng.randrange(4, 10)))
        self.post(ch["lab5"], r.lead, START + 35 * DAY + 11 * 3600, ANNOUNCE_LAST_WEEK)
        for lab, week in (("lab3", 2), ("lab4", 4), ("lab5", 6)):
            self.bot(
                ch[lab],
                START + ((week - 1) * 7 + 4) * DAY + 14 * 3600,
                self.fill(BOT_REMINDER, {"lab": f"Lab {lab[3:]}", "due": LAB_DUE[lab]}),
            )
        for week in range(1, WEEKS + 1):
            lab = self.busiest(week)
            self.post(
                ch[lab],
                r.tas[week % 3],
                START + ((week - 1) * 7 + 3) * DAY + 10 * 3600,
                self.fill(OFFICE_HOURS, {"zoom": _digits(rng, 11)}),
            )
        self.scatter(
            14,
            0.85,
            lambda c, w, t: self.post(
                c, self.learner(), t, self.learner_voice(self.deal(GREETINGS))
            ),
        )
        self.scatter(21, 0.0, self.logistics)
        self.scatter(
            9,
            0.0,
            lambda c, w, t: self.post(
                c, self.learner(), t, self.fill(self.deal(TOP_THANKS), {"ta": rng.choice(r.tas).id})
            ),
        )
        self.scatter(6, 0.0, lambda c, w, t: self.post(c, self.learner(), t, self.deal(LINKS)))
        self.scatter(8, 0.0, lambda c, w, t: self.post(c, self.learner(), t, self.deal(EMOJI_ONLY)))
        self.scatter(10, 0.0, self.chit_chat)
        self.scatter(
            5,
            0.0,
            lambda c, w, t: self.post(
                c, self.learner(), t, self.learner_voice(self.deal(NEVERMIND))
            ),
        )
        notes = self.learner()
        at = START + 8 * DAY + 20 * 3600
        self.post(
            ch["lab3"],
            notes,
            at,
            "my notes for lab 3 in case they help anyone",
            subtype="file_share",
            files=[self.file(notes, at, "lab3-notes.pdf")],
            upload=False,
            display_as_bot=False,
        )
        self.emails()

    def busiest(self, week: int) -> str:
        return max(LABS, key=lambda lab: LAB_ACTIVITY[lab][week - 1])

    def scatter(self, n: int, first_week_bias: float, make) -> None:
        """Place n chatter items over the weeks, in proportion to each channel's activity."""
        cells = [(lab, w) for lab in LABS for w in range(1, WEEKS + 1) if LAB_ACTIVITY[lab][w - 1]]
        weights = [
            LAB_ACTIVITY[lab][w - 1] * (1 + 8 * first_week_bias * (w == 1)) for lab, w in cells
        ]
        for lab, week in self.rng.choices(cells, weights, k=n):
            make(self.roster.channels[lab], week, self.moment(week))

    def logistics(self, channel: Channel, week: int, sec: int) -> None:
        rng = self.rng
        question, answer = self.deal(LOGISTICS)
        subs = {"lab": f"lab {channel.lab[3:]}", "due": LAB_DUE[channel.lab]}
        asker = self.learner()
        root = self.post(channel, asker, sec, self.learner_voice(self.fill(question, subs)))
        sec += self.reply_delay(25, 0.9, sec)
        if rng.random() < 0.15:
            sec += 60
            peer = self.learner(exclude=(asker.id,))
            self.post(channel, peer, sec, "was wondering too", root=root)
        self.post(channel, self.ta(), sec + 60, self.fill(answer, subs), root=root)
        if rng.random() < 0.45:
            self.post(
                channel,
                asker,
                sec + self.reply_delay(10, 0.8, sec) + 120,
                rng.choice(LOGISTICS_THANKS),
                root=root,
            )

    def chit_chat(self, channel: Channel, week: int, sec: int) -> None:
        opener, replies = self.deal(CHIT_CHAT)
        who = self.learner()
        root = self.post(channel, who, sec, self.fill(opener, {"lab": f"lab {channel.lab[3:]}"}))
        for reply in self.rng.sample(replies, self.rng.randrange(0, min(3, len(replies)) + 1)):
            sec += self.reply_delay(20, 1.0, sec)
            self.post(channel, self.learner(exclude=(who.id,)), sec, reply, root=root)
        if self.rng.random() < 0.3:
            self.edit(root, self.rng.randrange(10, 300))

    def emails(self) -> None:
        """Personal e-mail addresses in three messages: the bot must redact them."""
        r = self.roster
        ch = r.channels["lab3"]
        for week, text in (
            (1, "I can't make office hours this week, could a TA email me? $email"),
            (2, "if anyone wants to study together for the quiz, email me at $email"),
        ):
            who = self.learner()
            msg = self.post(ch, who, self.moment(week), self.fill(text, {"email": self.email(who)}))
            self.secrets.append({"channel": ch.id, "ts": msg["ts"], "kinds": ["email"]})
            if week == 1:
                ta = r.tas[1]
                reply = self.post(
                    ch,
                    ta,
                    int(float(msg["ts"])) + 1800,
                    self.fill("Sure, I'll write you from $email.", {"email": self.email(ta)}),
                    root=msg,
                )
                self.secrets.append({"channel": ch.id, "ts": reply["ts"], "kinds": ["email"]})

    def email(self, who: Person) -> str:
        return f"{who.handle}@{self.rng.choice(EMAIL_DOMAINS)}"

    def join(self, channel: Channel, who: Person, sec: int, inviter: Person) -> None:
        self.messages[channel.id].append(
            {
                "type": "message",
                "subtype": "channel_join",
                "ts": self.stamp(channel, sec),
                "user": who.id,
                "text": f"<@{who.id}> has joined the channel",
                "inviter": inviter.id,
            }
        )

    def bot(self, channel: Channel, sec: int, text: str) -> None:
        self.messages[channel.id].append(
            {
                "type": "message",
                "subtype": "bot_message",
                "text": text,
                "ts": self.stamp(channel, sec),
                "username": "Course Bot",
                "bot_id": "B0DEMOBOT1",
            }
        )

    # -- assembly -----------------------------------------------------------------------------

    def build(self) -> None:
        """All incidents (per the plan) and all chatter, with a few special messages flagged."""
        flags: dict[int, set[str]] = {}

        def flag(signature: str, name: str, nth: int = 0, week: int | None = None) -> None:
            hits = [i for i, (s, w, _) in enumerate(PLAN) if s == signature and week in (None, w)]
            flags.setdefault(hits[nth], set()).add(name)

        flag("iam.credentials", "leak_akia", 0)
        flag("iam.credentials", "leak_asia", 1)
        flag("ec2.ssh_access", "file_share", 0)
        flag("iam.passrole", "broadcast", 0, week=3)
        outcomes = [o for o, n in OUTCOMES.items() for _ in range(n)]
        self.rng.shuffle(outcomes)
        minutes = self.resolve_minutes()
        for i, (sig, week, lab) in enumerate(PLAN):
            channel = self.roster.channels[lab]
            self.incident(BY_ID[sig], week, channel, outcomes[i], minutes[i], flags.get(i, set()))
        self.chatter()

    def finish_threads(self) -> None:
        """Fill each root's reply bookkeeping the way Slack exports it."""
        for messages in self.messages.values():
            for root in messages:
                replies = root.pop("_replies", None)
                if not replies:
                    continue
                repliers = list(dict.fromkeys(m["user"] for m in replies))
                root |= {
                    "thread_ts": root["ts"],
                    "reply_count": len(replies),
                    "reply_users_count": len(repliers),
                    "latest_reply": replies[-1]["ts"],
                    "reply_users": repliers,
                    "replies": [{"user": m["user"], "ts": m["ts"]} for m in replies],
                    "is_locked": False,
                    "subscribed": False,
                }
                for reply in replies:
                    if reply.pop("root_summary", False):
                        reply["root"] = {
                            "type": "message",
                            "user": root["user"],
                            "text": root["text"],
                            "thread_ts": root["ts"],
                            "reply_count": len(replies),
                            "ts": root["ts"],
                        }
                if "reactions" in root:  # Slack lists reactions after the thread fields
                    root["reactions"] = root.pop("reactions")


def _ts_key(message: dict) -> tuple[int, int]:
    sec, micro = message["ts"].split(".")
    return int(sec), int(micro)


def build_cohort(seed: int, index: int) -> CohortBuilder:
    """One cohort, complete: messages per channel (sorted), labels, secrets."""
    builder = CohortBuilder(make_roster(seed, index), random.Random(f"{seed}/cohort/{index}"))
    builder.build()
    builder.finish_threads()
    for messages in builder.messages.values():
        messages.sort(key=_ts_key)
    return builder


@cache
def _utc_day(epoch_day: int) -> str:
    return datetime.fromtimestamp(epoch_day * DAY, UTC).strftime("%Y-%m-%d")


def day_files(builder: CohortBuilder) -> Iterator[tuple[str, list[dict]]]:
    """(`<channel>/<YYYY-MM-DD>.json`, messages): one file per channel per UTC day."""
    for channel in builder.roster.channels.values():
        day: str | None = None
        batch: list[dict] = []
        for message in builder.messages[channel.id]:
            d = _utc_day(_ts_key(message)[0] // DAY)
            if d != day and batch:
                yield f"{channel.name}/{day}.json", batch
                batch = []
            day = d
            batch.append(message)
        if batch:
            yield f"{channel.name}/{day}.json", batch


# --------------------------------------------------------------------------------------------
# The export as a stream of files, and writing it.
# --------------------------------------------------------------------------------------------


def iter_export(
    seed: int = DEFAULT_SEED, scale: int = 1, labels: bool = True
) -> Iterator[tuple[str, object]]:
    """Yield (relative path, JSON value) for every file of the export.

    Only one cohort's messages are in memory at a time, so a benchmark can stream a 200,000-
    message export (scale 300) without holding it. `labels.json` (the ground truth) comes last.
    """
    rosters = [make_roster(seed, i) for i in range(scale)]
    yield "channels.json", [c for r in rosters for c in channel_records(r)]
    yield "users.json", [p.record() for r in rosters for p in r.people]
    incidents: list[dict] = []
    secrets: list[dict] = []
    for index in range(scale):
        builder = build_cohort(seed, index)
        yield from day_files(builder)
        if labels:
            incidents += [label.record() for label in builder.labels]
            secrets += builder.secrets
    if labels:
        yield (
            "labels.json",
            {
                "generator": "scripts/generate_cohort.py",
                "seed": seed,
                "scale": scale,
                "team": TEAM,
                "incident_counts": dict(Counter(i["domain"] for i in incidents)),
                "incidents": incidents,
                "secrets": secrets,
            },
        )


@dataclass
class Summary:
    messages: int = 0
    files: int = 0
    bytes: int = 0
    incidents: Counter[str] = field(default_factory=Counter)
    signatures: Counter[str] = field(default_factory=Counter)
    resolutions: Counter[str] = field(default_factory=Counter)
    subtypes: Counter[str] = field(default_factory=Counter)


DATE_FILE = re.compile(r"\d{4}-\d{2}-\d{2}\.json")


def clear_previous(out: Path) -> None:
    """Remove an earlier export from `out`, and refuse to touch a folder that is not one."""
    if not out.exists():
        return
    if not (out / "channels.json").exists():
        if any(out.iterdir()):
            raise SystemExit(f"{out} is not empty and holds no export; refusing to write there")
        return
    for sub in out.iterdir():
        if sub.is_dir():
            for day in sub.iterdir():
                if DATE_FILE.fullmatch(day.name):
                    day.unlink()
            if not any(sub.iterdir()):
                sub.rmdir()
    for name in ("channels.json", "users.json", "labels.json"):
        (out / name).unlink(missing_ok=True)


def render(
    seed: int = DEFAULT_SEED, scale: int = 1, indent: int | None = 4
) -> Iterator[tuple[str, object, str]]:
    """(relative path, JSON value, file text) for every file, formatted as they are written."""
    for path, value in iter_export(seed, scale):
        yield path, value, json.dumps(value, indent=1 if path == "labels.json" else indent) + "\n"


def write_export(
    out: Path, seed: int = DEFAULT_SEED, scale: int = 1, indent: int | None = 4
) -> Summary:
    """Write the export folder (replacing an earlier one there) and count what went in."""
    clear_previous(out)
    summary = Summary()
    for path, value, text in render(seed, scale, indent):
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        summary.files += 1
        summary.bytes += len(text)
        if path == "labels.json":
            for incident in value["incidents"]:
                summary.incidents[incident["domain"]] += 1
                summary.signatures[incident["signature"]] += 1
                summary.resolutions[incident["resolved_by"] or "open"] += 1
        elif "/" in path:
            summary.messages += len(value)
            summary.subtypes.update(m.get("subtype", "message") for m in value)
    return summary


def stale_files(
    out: Path, seed: int = DEFAULT_SEED, scale: int = 1, indent: int | None = 4
) -> list[str]:
    """Files of `out` that differ from what the generator writes now (missing, changed, extra)."""
    expected = set()
    stale = []
    for path, _, text in render(seed, scale, indent):
        expected.add(path)
        target = out / path
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            stale.append(path)
    on_disk = {str(f.relative_to(out)) for f in out.rglob("*.json")} if out.is_dir() else set()
    return sorted(stale + list(on_disk - expected))


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{key} {n}" for key, n in counter.most_common())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="export folder to write")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--scale", type=int, default=1, help="number of cohorts (~730 messages each)"
    )
    parser.add_argument(
        "--compact", action="store_true", help="write JSON without indentation (faster, smaller)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if --out differs from what would be written",
    )
    args = parser.parse_args(argv)
    if args.scale < 1:
        parser.error("--scale must be at least 1")
    indent = None if args.compact else 4
    if args.check:
        stale = stale_files(args.out, args.seed, args.scale, indent)
        for path in stale:
            print(f"stale: {args.out / path}")
        print(f"{args.out}: {'out of date' if stale else 'up to date'}")
        return 1 if stale else 0
    started = time.perf_counter()
    summary = write_export(args.out, args.seed, args.scale, indent)
    elapsed = time.perf_counter() - started
    total = sum(summary.incidents.values())
    print(
        f"{summary.messages} messages in {summary.files} files ({summary.bytes / 1e6:.1f} MB) "
        f"written to {args.out} in {elapsed:.2f} s"
    )
    print(f"{total} incidents: {_counts(summary.incidents)}")
    print(f"resolved by: {_counts(summary.resolutions)}")
    print(f"subtypes: {_counts(summary.subtypes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
