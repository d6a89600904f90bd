"""Privacy at the door: secrets redacted, Slack user ids pseudonymised, before anything is written.

Redaction keeps the shape the classifier reads: an account id inside an ARN becomes twelve X's,
so `arn:aws:iam::XXXXXXXXXXXX:role/LabRole` still reads as an ARN naming a role.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from functools import lru_cache
from typing import Any

MASKED_ACCOUNT = "X" * 12


def _holds(*needles: str) -> Callable[[str], object]:
    """Any of these strings: one literal search (the regex engine skips to their first letters)."""
    return re.compile("|".join(map(re.escape, needles))).search


def _holds_folded(*needles: str) -> Callable[[str], object]:
    """For a case-insensitive pattern (on ASCII text `lower` is exactly what IGNORECASE does)."""

    def holds(text: str) -> bool:
        lowered = text.lower()
        return any(needle in lowered for needle in needles)

    return holds


def _holds_run(chars: str, length: int) -> Callable[[str], object]:
    """A run of `length` characters out of `chars`: one byte translation and a substring test."""
    table = bytes(ord("a") if chr(b) in chars else ord(" ") for b in range(256))
    run = b"a" * length
    return lambda text: run in text.encode("ascii").translate(table)


_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+="
_UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_ACCESS_KEY_PREFIXES = ("AKIA", "ASIA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "AGPA")

# Order matters: long credentials first, so an account-id rule never bites into a token.
# Each rule comes with a cheap test that every ASCII text it can match passes, so the few
# messages holding a credential pay for the regex and the rest skip it.
_RULES: list[tuple[re.Pattern[str], str, Callable[[str], object]]] = [
    # PEM private keys, whole (or to the end of the text when pasted cut short).
    (
        re.compile(r"-----BEGIN ([A-Z ]*PRIVATE KEY)-----.*?(?:-----END \1-----|\Z)", re.DOTALL),
        "[REDACTED-PRIVATE-KEY]",
        _holds("PRIVATE KEY"),
    ),
    # JWTs (header.payload.signature, base64url, the first two JSON objects: "eyJ").
    (
        re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
        "[REDACTED-JWT]",
        _holds("eyJ"),
    ),
    # Slack incoming webhooks, and GitHub's tokens (classic prefixes and fine-grained).
    (
        re.compile(r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+"),
        "[REDACTED-SLACK-WEBHOOK]",
        _holds("hooks.slack.com"),
    ),
    (
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})"),
        "[REDACTED-GITHUB-TOKEN]",
        _holds("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    # Passwords: in a connection string's user:password@, and named (password=..., pwd: ...).
    (
        re.compile(r"\b([a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s/@]+@"),
        r"\1[REDACTED-PASSWORD]@",
        _holds("://"),
    ),
    (
        re.compile(r"(?i)(password|passwd|pwd)([\"']?\s*[:=]\s*[\"']?)[^\s\"',;]+"),
        r"\1\2[REDACTED-PASSWORD]",
        _holds_folded("passw", "pwd"),
    ),
    # Slack tokens: xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xapp- (app-level), xoxe refresh tokens.
    (
        re.compile(
            r"\b(?:xox[abeoprs](?:\.xox[a-z])?-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,})"
        ),
        "[REDACTED-SLACK-TOKEN]",
        _holds("xox", "xapp-"),
    ),
    # Session tokens: named in config/JSON/env form, or an STS token's well-known prefixes.
    (
        re.compile(
            r"(?i)(aws_session_token|sessiontoken|x-amz-security-token)"
            r"([\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9/+=%]{16,}"
        ),
        r"\1\2[REDACTED-TOKEN]",
        _holds_folded("token"),
    ),
    (
        re.compile(r"\b(?:FwoGZXIvYXdz|IQoJb3JpZ2lu)[A-Za-z0-9/+=]{20,}"),
        "[REDACTED-TOKEN]",
        _holds_run(_BASE64, 32),
    ),
    # Secret access keys: named, or a bare 40-char base64 run mixing cases and digits.
    (
        re.compile(
            r"(?i)(aws_secret_access_key|secretaccesskey|secret_key|secret access key)"
            r"([\"']?\s*[:=]?\s*[\"']?)[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])"
        ),
        r"\1\2[REDACTED-SECRET]",
        _holds_folded("secret"),
    ),
    (
        re.compile(
            r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+=]*[a-z])(?=[A-Za-z0-9/+=]*[A-Z])"
            r"(?=[A-Za-z0-9/+=]*[0-9])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])"
        ),
        "[REDACTED-SECRET]",
        _holds_run(_BASE64, 40),
    ),
    # Access key ids: AKIA (long-term), ASIA (temporary), and the other documented prefixes.
    (
        re.compile(rf"\b(?:{'|'.join(_ACCESS_KEY_PREFIXES)})[A-Z0-9]{{16}}\b"),
        "[REDACTED-ACCESS-KEY]",
        _holds_run(_UPPER_DIGITS, 20),
    ),
    (
        re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"),
        "[REDACTED-EMAIL]",
        _holds("@"),
    ),
    # Account ids: inside ARNs (arn:partition:service:region:ACCOUNT:...) and standalone.
    (
        re.compile(r"(arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:)\d{12}(?=:)"),
        rf"\g<1>{MASKED_ACCOUNT}",
        _holds("arn:aws"),
    ),
    (
        re.compile(r"(?<![\d.])\d{4}-?\d{4}-?\d{4}(?![\d.])"),
        MASKED_ACCOUNT,
        _holds_run("0123456789", 4),
    ),
    (re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>"), "@user", _holds("<@")),
]


def redact(text: str) -> str:
    """The text with credentials, account ids, e-mail addresses and user mentions removed."""
    # The cheap tests hold for ASCII only (`\d` and IGNORECASE reach beyond it): other text
    # meets every pattern. Replacements are ASCII, so ASCII text stays ASCII rule after rule.
    ascii_only = text.isascii()
    for pattern, replacement, could_match in _RULES:
        if not ascii_only or could_match(text):
            text = pattern.sub(replacement, text)
    return text


def redact_all(value: Any) -> Any:
    """`value` (parsed JSON: a spooled event) with every string in it redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_all(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_all(item) for item in value]
    return value


def new_salt() -> str:
    """A fresh random salt for pseudonyms (256 bits, hex)."""
    return secrets.token_hex(32)


class Pseudonymizer:
    """Turns Slack user ids into salted hashes: stable within a ledger, useless outside it.

    The few people of a channel post thousands of messages, so each one's hash is remembered.
    """

    def __init__(self, salt: str) -> None:
        if not salt:
            raise ValueError("a pseudonymisation salt must not be empty")
        self._key = salt.encode()
        self._hash = lru_cache(maxsize=65_536)(self._digest)

    def __call__(self, user_id: str | None) -> str | None:
        if not user_id:
            return None
        return self._hash(user_id)

    def _digest(self, user_id: str) -> str:
        return hmac.new(self._key, user_id.encode(), hashlib.sha256).hexdigest()[:32]
