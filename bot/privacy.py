"""Privacy at the door: secrets redacted, Slack user ids pseudonymised, before anything is written.

Redaction keeps the shape the classifier reads: an account id inside an ARN becomes twelve X's,
so `arn:aws:iam::XXXXXXXXXXXX:role/LabRole` still reads as an ARN naming a role.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

MASKED_ACCOUNT = "X" * 12

# Order matters: long credentials first, so an account-id rule never bites into a token.
_RULES: list[tuple[re.Pattern[str], str]] = [
    # Slack tokens: xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xapp- (app-level), xoxe refresh tokens.
    (
        re.compile(
            r"\b(?:xox[abeoprs](?:\.xox[a-z])?-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,})"
        ),
        "[REDACTED-SLACK-TOKEN]",
    ),
    # Session tokens: named in config/JSON/env form, or an STS token's well-known prefixes.
    (
        re.compile(
            r"(?i)(aws_session_token|sessiontoken|x-amz-security-token)"
            r"([\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9/+=%]{16,}"
        ),
        r"\1\2[REDACTED-TOKEN]",
    ),
    (re.compile(r"\b(?:FwoGZXIvYXdz|IQoJb3JpZ2lu)[A-Za-z0-9/+=]{20,}"), "[REDACTED-TOKEN]"),
    # Secret access keys: named, or a bare 40-char base64 run mixing cases and digits.
    (
        re.compile(
            r"(?i)(aws_secret_access_key|secretaccesskey|secret_key|secret access key)"
            r"([\"']?\s*[:=]?\s*[\"']?)[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])"
        ),
        r"\1\2[REDACTED-SECRET]",
    ),
    (
        re.compile(
            r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+=]*[a-z])(?=[A-Za-z0-9/+=]*[A-Z])"
            r"(?=[A-Za-z0-9/+=]*[0-9])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])"
        ),
        "[REDACTED-SECRET]",
    ),
    # Access key ids: AKIA (long-term), ASIA (temporary), and the other documented prefixes.
    (
        re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|AIPA|ANPA|ANVA|AGPA)[A-Z0-9]{16}\b"),
        "[REDACTED-ACCESS-KEY]",
    ),
    (re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"), "[REDACTED-EMAIL]"),
    # Account ids: inside ARNs (arn:partition:service:region:ACCOUNT:...) and standalone.
    (re.compile(r"(arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:)\d{12}(?=:)"), rf"\g<1>{MASKED_ACCOUNT}"),
    (re.compile(r"(?<![\d.])\d{4}-?\d{4}-?\d{4}(?![\d.])"), MASKED_ACCOUNT),
]
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def redact(text: str) -> str:
    """The text with credentials, account ids, e-mail addresses and user mentions removed."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return _MENTION.sub("@user", text)


def new_salt() -> str:
    """A fresh random salt for pseudonyms (256 bits, hex)."""
    return secrets.token_hex(32)


class Pseudonymizer:
    """Turns Slack user ids into salted hashes: stable within a ledger, useless outside it."""

    def __init__(self, salt: str) -> None:
        if not salt:
            raise ValueError("a pseudonymisation salt must not be empty")
        self._key = salt.encode()

    def __call__(self, user_id: str | None) -> str | None:
        if not user_id:
            return None
        return hmac.new(self._key, user_id.encode(), hashlib.sha256).hexdigest()[:32]
