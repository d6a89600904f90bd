"""Random secrets of every kind a learner pastes, each in a sentence as they paste it.

`pasted(kind, rng)` returns (text, needle): the needle is the part that must never be stored or
logged (long and random enough never to occur by chance). Shared by the redaction fuzz test and
benchmarks/faults.py.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable

UPPER_DIGITS = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "/+"
PASSWORD_CHARS = ALNUM + "!#$%^&*()_-+[]{}.~"


def _pick(rng: random.Random, chars: str, n: int) -> str:
    return "".join(rng.choice(chars) for _ in range(n))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _secret_key(rng: random.Random) -> str:
    while True:
        key = _pick(rng, B64, 40)
        if all(any(test(c) for c in key) for test in (str.islower, str.isupper, str.isdigit)):
            return key


def access_key_id(rng: random.Random) -> tuple[str, str]:
    key = rng.choice(("AKIA", "ASIA")) + _pick(rng, UPPER_DIGITS, 16)
    return rng.choice((f"aws_access_key_id = {key}", f"my key is {key} from the lab")), key


def secret_key(rng: random.Random) -> tuple[str, str]:
    key = _secret_key(rng)
    forms = (f"aws_secret_access_key = {key}", f'{{"SecretAccessKey": "{key}"}}', f"here: {key}")
    return rng.choice(forms), key


def session_token(rng: random.Random) -> tuple[str, str]:
    token = rng.choice(("FwoGZXIvYXdz", "IQoJb3JpZ2lu")) + _pick(rng, B64, rng.randint(60, 300))
    return rng.choice((f"export AWS_SESSION_TOKEN={token}", f"token {token} expired?")), token


def account_id(rng: random.Random) -> tuple[str, str]:
    account = str(rng.randint(10**11, 10**12 - 1))
    forms = (
        f"User: arn:aws:sts::{account}:assumed-role/voclabs/u1 is not authorized",
        f"my account is {account[:4]}-{account[4:8]}-{account[8:]}",
        f"account {account} in us-east-1",
    )
    return rng.choice(forms), account


def email(rng: random.Random) -> tuple[str, str]:
    local = _pick(rng, string.ascii_lowercase, 10) + rng.choice(("", ".x", "+aws"))
    address = f"{local}@{_pick(rng, string.ascii_lowercase, 8)}.edu"
    return f"email me at {address} please", local


def slack_token(rng: random.Random) -> tuple[str, str]:
    digits = f"{rng.randint(10**11, 10**12 - 1)}-{rng.randint(10**12, 10**13 - 1)}"
    token = rng.choice(
        (
            f"xoxb-{digits}-{_pick(rng, ALNUM, 24)}",
            f"xoxp-{digits}-{_pick(rng, ALNUM, 32)}",
            f"xapp-1-A{_pick(rng, UPPER_DIGITS, 10)}-{rng.randint(10**12, 10**13)}-"
            + _pick(rng, "0123456789abcdef", 64),
        )
    )
    return f"I pasted my token {token} oops", token


def slack_webhook(rng: random.Random) -> tuple[str, str]:
    secret = _pick(rng, ALNUM, 24)
    team, channel = _pick(rng, UPPER_DIGITS, 8), _pick(rng, UPPER_DIGITS, 8)
    url = f"https://hooks.slack.com/services/T{team}/B{channel}/{secret}"
    return f"posting to {url} fails", secret


def github_token(rng: random.Random) -> tuple[str, str]:
    token = rng.choice(
        (
            rng.choice(("ghp_", "gho_", "ghs_")) + _pick(rng, ALNUM, 36),
            f"github_pat_{_pick(rng, ALNUM, 22)}_{_pick(rng, ALNUM, 59)}",
        )
    )
    return f"git clone with token {token} says 403", token


def jwt(rng: random.Random) -> tuple[str, str]:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(
        json.dumps({"sub": _pick(rng, ALNUM, 12), "iat": rng.randint(1, 10**9)}).encode()
    )
    signature = _b64url(rng.randbytes(32))
    return f"Authorization: Bearer {header}.{payload}.{signature} gives 401", signature


def pem_private_key(rng: random.Random) -> tuple[str, str]:
    body = base64.b64encode(rng.randbytes(rng.randint(200, 900))).decode()
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    kind = rng.choice(("RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PRIVATE KEY"))
    end = "" if rng.random() < 0.2 else f"\n-----END {kind}-----"  # sometimes cut short
    return f"ssh fails with this key:\n-----BEGIN {kind}-----\n{lines}{end}\nany idea?", body[:48]


def connection_password(rng: random.Random) -> tuple[str, str]:
    password = _pick(rng, PASSWORD_CHARS, rng.randint(10, 24))
    scheme = rng.choice(("postgresql", "mysql", "mongodb+srv", "redis"))
    return f"cannot connect to {scheme}://admin:{password}@db.lab.internal:5432/app", password


def password_line(rng: random.Random) -> tuple[str, str]:
    password = _pick(rng, PASSWORD_CHARS, rng.randint(10, 24))
    name = rng.choice(("password", "PASSWORD", "db_password", "Passwd", "pwd"))
    return rng.choice(
        (f"{name}={password}", f'{name}: "{password}"', f"{name} = {password}")
    ), password


KINDS: dict[str, Callable[[random.Random], tuple[str, str]]] = {
    "AWS access key id (AKIA/ASIA)": access_key_id,
    "AWS secret access key": secret_key,
    "AWS session token": session_token,
    "AWS account id": account_id,
    "e-mail address": email,
    "Slack bot/user/app token": slack_token,
    "Slack webhook URL": slack_webhook,
    "GitHub token": github_token,
    "JWT": jwt,
    "PEM private key": pem_private_key,
    "password in a connection string": connection_password,
    "password= line": password_line,
}


def pasted(kind: str, rng: random.Random) -> tuple[str, str]:
    """A learner's message holding a random secret of `kind`, and the secret's needle."""
    return KINDS[kind](rng)
