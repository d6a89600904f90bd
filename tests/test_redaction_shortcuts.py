"""Redaction skips patterns a message cannot match: the texts where a skip could let one slip."""

import pytest

from bot.ingest.privacy import redact

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
NAMED_SECRET = "abcdefghij" * 4  # only the named-secret rule catches a one-case run


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        # Non-ASCII text: IGNORECASE and \d reach beyond ASCII, so every pattern is tried.
        ("clé 🎉 aws_secret_access_key = " + NAMED_SECRET, NAMED_SECRET),
        ("\u017fecret_key = " + NAMED_SECRET, NAMED_SECRET),  # long s: IGNORECASE reads it as "s"
        (
            "account \u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662",
            "\u0661\u0662\u0663",
        ),
        ("über AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
        # A secret next to another one: each rule sees the text its predecessors left.
        ("SESSIONTOKEN=abcdefghijklmnop1234 and " + SECRET, SECRET),
        ("jane@uni.edu 1111-2222-3333 <@U0789TA01>", "1111-2222-3333"),
    ],
)
def test_secrets_are_redacted_in_text_the_shortcuts_do_not_cover(text, secret):
    assert secret not in redact(text)


def test_text_without_secrets_comes_back_unchanged():
    text = "Lambda times out after 3.00 s: AccessDeniedException on s3:GetObject (build 2024)"
    assert redact(text) == text
