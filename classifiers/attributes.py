"""Pull the facts a TA wants out of an error: denied action, service, error code, operation, ARN.

These let a digest say "IAM failures surfacing in S3: 12" while the domain stays the root cause.
Each regex starts with a literal or a character class, so the engine skips ahead quickly; the
few candidates they find are sorted out in Python.
"""

from __future__ import annotations

import re

_SERVICE_ALIASES = {"logs": "cloudwatch", "execute-api": "apigateway", "monitoring": "cloudwatch"}
_SERVICES = frozenset(
    [
        "s3",
        "iam",
        "sts",
        "dynamodb",
        "lambda",
        "ec2",
        "logs",
        "cloudwatch",
        "monitoring",
        "apigateway",
        "execute-api",
        "cloudformation",
        "kms",
        "sqs",
        "sns",
        "states",
        "events",
        "ssm",
        "secretsmanager",
        "ecr",
        "ecs",
        "rds",
        "glue",
        "athena",
        "kinesis",
        "firehose",
        "sagemaker",
        "bedrock",
        "cognito-idp",
        "elasticloadbalancing",
        "autoscaling",
        "route53",
        "xray",
        "cloudtrail",
        "elasticbeanstalk",
    ]
)
_DENIED = re.compile(r"not authori[sz]ed to perform:?\s*([a-z0-9-]+:[A-Za-z0-9*]+)")
_ACTION = re.compile(r":([A-Z*][A-Za-z0-9*]*)")
_SERVICE_BEFORE = re.compile(r"([a-z0-9-]+)$")
_CLI = re.compile(r"\(([A-Za-z0-9.]+)\) when calling the ([A-Za-z0-9]+) operation")
_OPERATION = re.compile(r"calling the ([A-Z][A-Za-z0-9]+) operation")
_TARGET = re.compile(r"on resource:?\s*\"?(arn:aws[^\s\"'<>,;)\]]+)")
_ARN = re.compile(r"(arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9X]*:[^\s\"'<>,;)\]]+)")
# CamelCase or UPPER_SNAKE words: AccessDenied, InvalidAMIID.NotFound, ROLLBACK_COMPLETE. That is
# r"[A-Z][A-Za-z0-9._]*(?:[a-z0-9][A-Z]|_[A-Z])[A-Za-z0-9._]*", written to read each character
# once: capitals and dots, and runs of [a-z0-9_] that a dot ends, until a run a capital ends.
_CODE_LIKE = re.compile(r"[A-Z](?:[A-Z.]++|[a-z0-9_]++\.)*+[a-z0-9_]++[A-Z][A-Za-z0-9._]*+")
_CODE_SHAPE = re.compile(
    r"(?:Runtime\.|NoSuch|Invalid|Malformed|Expired|Unauthorized|Insufficient|Bucket|Permanent"
    r"|Illegal|AuthorizationHeader|Unrecognized|Signature|Throttl|AccessDenied)[A-Za-z0-9.]*"
    r"|[A-Za-z0-9.]+(?:Exception|Error|Fault|Exceeded|Denied|Failure|NotFound|Malformed)"
    r"|[A-Z]+_(?:[A-Z]+_)*(?:FAILED|COMPLETE|IN_PROGRESS|DATA)"
)
_ACCOUNT = re.compile(r"(?<!\d)\d{12}(?!\d)")


def extract(text: str) -> dict[str, str]:
    """Attributes found in normalised text; keys absent when not found."""
    found: dict[str, str] = {}
    action = _denied_action(text) or _mentioned_action(text)
    if action:
        found["action"] = action
    # Most messages hold no operation and no ARN: a substring test says so before any regex.
    calling = "calling the " in text
    cli = _CLI.search(text) if calling else None
    code = cli.group(1) if cli else _error_code(text)
    if code:
        found["error_code"] = code
    operation = cli.group(2) if cli else (_first(_OPERATION, text) if calling else None)
    if operation:
        found["operation"] = operation
    arn = (_first(_TARGET, text) or _first(_ARN, text)) if "arn:aws" in text else None
    if arn:
        found["resource"] = _ACCOUNT.sub("XXXXXXXXXXXX", arn.rstrip("."))
    # The surfacing service: the denied action's prefix, else the resource ARN's service field.
    service = action.split(":")[0] if action else arn.split(":")[2] if arn else None
    if service:
        found["service"] = _SERVICE_ALIASES.get(service, service)
    return found


def _denied_action(text: str) -> str | None:
    match = _DENIED.search(text) if "authori" in text else None
    return match.group(1) if match and match.group(1).split(":")[0] in _SERVICES else None


def _mentioned_action(text: str) -> str | None:
    """A `service:Action` anywhere: the colon is found fast, the service is read backwards."""
    for match in _ACTION.finditer(text):
        before = _SERVICE_BEFORE.search(text, max(0, match.start() - 25), match.start())
        if before and before.group(1) in _SERVICES:
            return f"{before.group(1)}:{match.group(1)}"
    return None


def _error_code(text: str) -> str | None:
    return next((w for w in _CODE_LIKE.findall(text) if _CODE_SHAPE.fullmatch(w)), None)


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(1) if match else None
