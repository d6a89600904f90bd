"""The hint as a Slack message: the fix, the checks to run, a runbook, and two answer buttons.

The checks are the catalog's pre-flight checks for the signature (`checks` in catalog.toml),
shown as the AWS CLI command a learner can paste into CloudShell, with the role or bucket the
error named filled in when the classifier extracted it (`resource` attribute).
"""

from __future__ import annotations

from typing import Any

from classifiers.catalog import Signature

FIXED_ACTION = "hint_fixed"
NOT_IT_ACTION = "hint_not_it"
BLOCK_ID = "hint"
MAX_CHECKS = 3

# One AWS CLI command per pre-flight check; ROLE, BUCKET, ... are filled in when known.
CHECK_COMMANDS = {
    "credentials": "aws sts get-caller-identity",
    "region": "aws configure get region",
    "role_exists": "aws iam get-role --role-name {role} --query Role.Arn",
    "role_trust": "aws iam get-role --role-name {role} --query Role.AssumeRolePolicyDocument",
    "can_pass_role": (
        "aws iam simulate-principal-policy --policy-source-arn YOUR_ARN "
        "--action-names iam:PassRole --resource-arns arn:aws:iam::ACCOUNT_ID:role/{role}"
    ),
    "bucket_exists": "aws s3api head-bucket --bucket {bucket}",
    "bucket_region": "aws s3api get-bucket-location --bucket {bucket}",
    "log_group_exists": "aws logs describe-log-groups --log-group-name-prefix {log_group}",
}
ANSWERED = {
    "fixed": ":white_check_mark: *That fixed it*: the thread is marked resolved.",
    "not_it": ":raising_hand: *Not it*: a TA has been asked to take a look.",
}
Block = dict[str, Any]


def check_commands(signature: Signature, attributes: dict[str, Any]) -> list[str]:
    """The commands of the signature's checks, with what the error named filled in."""
    names = _resource_names(str(attributes.get("resource") or ""))
    return [CHECK_COMMANDS[c].format(**names) for c in signature.checks[:MAX_CHECKS]]


def hint_text(signature: Signature) -> str:
    """The notification text, also what screen readers read first."""
    return f"Possible fix ({signature.title}): {signature.hint}"


def hint_blocks(
    signature: Signature, attributes: dict[str, Any], outcome: str | None = None
) -> list[Block]:
    """The hint; once answered (`outcome`), the buttons give way to what the answer did."""
    blocks = [
        _section(f":bulb: *Possible fix: {_escape(signature.title)}*\n{_escape(signature.hint)}")
    ]
    commands = check_commands(signature, attributes)
    if commands:
        label = "Check" if len(commands) == 1 else "Checks"
        blocks.append(_section(f"*{label} to run:*\n```" + "\n".join(commands) + "```"))
    notes = [f"Automatic hint for `{signature.id}`"]
    if signature.runbook:
        notes.append(f"<{signature.runbook}|Runbook>")
    blocks.append(_context(" · ".join(notes)))
    if outcome is None:
        blocks.append(
            {
                "type": "actions",
                "block_id": BLOCK_ID,
                "elements": [
                    _button(FIXED_ACTION, "That fixed it", signature.id, style="primary"),
                    _button(NOT_IT_ACTION, "Not it", signature.id),
                ],
            }
        )
    else:
        blocks.append(_context(ANSWERED[outcome]))
    return blocks


def _resource_names(resource: str) -> dict[str, str]:
    """ROLE, BUCKET and LOG_GROUP placeholders, or the names an ARN in the error gives."""
    names = {"role": "ROLE_NAME", "bucket": "BUCKET_NAME", "log_group": "LOG_GROUP_NAME"}
    if ":role/" in resource:
        names["role"] = resource.rsplit("/", 1)[1]
    elif resource.startswith("arn:aws:s3:::"):
        names["bucket"] = resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
    elif ":log-group:" in resource:
        names["log_group"] = resource.split(":log-group:", 1)[1].split(":", 1)[0]
    return names


def _escape(text: str) -> str:
    """Slack's mrkdwn escapes: &, < and > would otherwise start entities and links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _button(action_id: str, text: str, value: str, style: str | None = None) -> Block:
    button = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
    if style:
        button["style"] = style
    return button
