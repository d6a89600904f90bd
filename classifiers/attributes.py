"""Pull the facts a TA wants out of an error: denied action, service, error code, operation, ARN.

These let a digest say "IAM failures surfacing in S3: 12" while the domain stays the root cause.
One combined regex, read once; the first value of each kind wins, except that an action named
after "not authorized to perform" beats one merely mentioned (it is the one that was denied).
"""

from __future__ import annotations

import re

_SERVICE_ALIASES = {"logs": "cloudwatch", "execute-api": "apigateway", "monitoring": "cloudwatch"}
_SERVICES = (
    "s3|iam|sts|dynamodb|lambda|ec2|logs|cloudwatch|monitoring|apigateway|execute-api"
    "|cloudformation|kms|sqs|sns|states|events|ssm|secretsmanager|ecr|ecs|rds|glue|athena"
    "|kinesis|firehose|sagemaker|bedrock|cognito-idp|elasticloadbalancing|autoscaling|route53"
)
_ERROR_CODE = (
    r"Runtime\.[A-Z][A-Za-z]+"
    r"|[A-Z][A-Za-z0-9]*\.(?:NotFound|Malformed|Duplicate|InUse)"
    r"|(?:NoSuch|Invalid|Malformed|Expired|Unauthorized|Insufficient|Bucket|Permanent"
    r"|Illegal|AuthorizationHeader|Unrecognized|Signature|Throttl)[A-Za-z0-9]*"
    r"|[A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*(?:Exception|Error|Fault|Exceeded|Denied|Failure|NotFound)"
    r"|AccessDenied|[A-Z]{2,}_(?:FAILED|COMPLETE|IN_PROGRESS)"
)
_ARN = r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9X]*:[^\s\"'<>,;)\]]+"
_PATTERN = re.compile(
    rf"not authorized to perform:?\s*(?P<denied>(?:{_SERVICES}):[A-Za-z0-9*]+)"
    rf"|\b(?P<action>(?:{_SERVICES}):[A-Z*][A-Za-z0-9*]*)"
    rf"|\((?P<code_cli>[A-Za-z0-9.]+)\) when calling the (?P<operation>[A-Za-z0-9]+) operation"
    rf"|calling the (?P<operation_only>[A-Z][A-Za-z0-9]+) operation"
    rf"|on resource:?\s*\"?(?P<target>{_ARN})"
    rf"|(?P<arn>arn:aws[a-z-]*:(?P<arn_service>[a-z0-9-]+):[a-z0-9-]*:[0-9X]*:[^\s\"'<>,;)\]]+)"
    rf"|\b(?P<code>{_ERROR_CODE})\b"
)
_ACCOUNT = re.compile(r"(?<!\d)\d{12}(?!\d)")


def extract(text: str) -> dict[str, str]:
    """Attributes found in normalised text; keys absent when not found."""
    found: dict[str, str] = {}
    for match in _PATTERN.finditer(text):
        groups = {k: v for k, v in match.groupdict().items() if v}
        if "denied" in groups:
            found["action"] = groups["denied"]
        elif "action" in groups:
            found.setdefault("action", groups["action"])
        if "target" in groups:
            found["resource"] = _ACCOUNT.sub("XXXXXXXXXXXX", groups["target"].rstrip("."))
        if "arn" in groups:
            found.setdefault("resource", _ACCOUNT.sub("XXXXXXXXXXXX", groups["arn"].rstrip(".")))
            found.setdefault("arn_service", groups["arn_service"])
        code = groups.get("code_cli") or groups.get("code")
        if code:
            found.setdefault("error_code", code)
        operation = groups.get("operation") or groups.get("operation_only")
        if operation:
            found.setdefault("operation", operation)
    service = found.pop("arn_service", None)
    if "action" in found:
        service = found["action"].split(":", 1)[0]
    if service:
        found["service"] = _SERVICE_ALIASES.get(service.lower(), service.lower())
    return found
