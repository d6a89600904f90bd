"""Redaction and pseudonyms: what a learner pastes never reaches the ledger with its secrets."""

import pytest

from bot.ingest.privacy import MASKED_ACCOUNT, Pseudonymizer, redact
from classifiers import classify

CASES = [
    (
        "my creds: aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "AKIAIOSFODNN7EXAMPLE",
        "aws_access_key_id = [REDACTED-ACCESS-KEY]",
    ),
    (
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "aws_secret_access_key = [REDACTED-SECRET]",
    ),
    (
        '{"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "x": 1}',
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        '"SecretAccessKey": "[REDACTED-SECRET]"',
    ),
    (
        "export AWS_SESSION_TOKEN=FwoGZXIvYXdzEBYaDHhBTEXAMPLEtoken1234567890abcdefGHIJKLMNOP+/xyz",
        "FwoGZXIvYXdzEBYaDHhBTEXAMPLE",
        "AWS_SESSION_TOKEN=[REDACTED-TOKEN]",
    ),
    (
        "temporary key ASIAY34FZKBOKMUTVV7A from the lab page",
        "ASIAY34FZKBOKMUTVV7A",
        "temporary key [REDACTED-ACCESS-KEY]",
    ),
    (
        "User: arn:aws:sts::111122223333:assumed-role/voclabs/user1234 is not authorized",
        "111122223333",
        f"arn:aws:sts::{MASKED_ACCOUNT}:assumed-role/voclabs/user1234",
    ),
    (
        "my account is 1111-2222-3333 in the console header",
        "1111-2222-3333",
        f"my account is {MASKED_ACCOUNT} in",
    ),
    (
        "email me at jane.doe+aws@university.edu if you know",
        "jane.doe",
        "email me at [REDACTED-EMAIL] if",
    ),
    (
        "I pasted my bot token xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx oops",
        "AbCdEfGhIjKlMnOpQrStUvWx",
        "token [REDACTED-SLACK-TOKEN] oops",
    ),
    ("thanks <@U0789TA01>!", "U0789TA01", "thanks @user!"),
]


@pytest.mark.parametrize(("text", "secret", "expected"), CASES)
def test_each_secret_is_redacted(text, secret, expected):
    redacted = redact(text)
    assert secret not in redacted
    assert expected in redacted


def test_ordinary_numbers_and_ids_are_kept():
    text = "Task timed out after 3.00 seconds, request id 1731330000.001100, commit 3f2a9c1"
    assert redact(text) == text
    sha = "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"  # a git sha is 40 chars of lower hex
    assert redact(f"at {sha}") == f"at {sha}"


def test_classifier_still_reads_a_redacted_error():
    text = (
        "An error occurred (AccessDeniedException) when calling the CreateFunction operation: "
        "User: arn:aws:sts::111122223333:assumed-role/voclabs/user1234=learner is not authorized "
        "to perform: iam:PassRole on resource: arn:aws:iam::111122223333:role/LabRole"
    )
    redacted = redact(text)
    assert f"arn:aws:iam::{MASKED_ACCOUNT}:role/LabRole" in redacted
    assert classify(redacted).signature == classify(text).signature == "iam.passrole"


def test_pseudonyms_are_stable_salted_and_not_the_id():
    alice, other_salt = Pseudonymizer("salt-1"), Pseudonymizer("salt-2")
    assert alice("U0456LRNR") == alice("U0456LRNR")
    assert alice("U0456LRNR") != alice("U0999LRN2")
    assert alice("U0456LRNR") != other_salt("U0456LRNR")
    assert "U0456LRNR" not in alice("U0456LRNR")
    assert alice(None) is None
