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

What people write (the incident catalogue's error wording and TA answers, intros, thanks,
chit-chat, names) is data in `cohort_phrases.toml` beside this file; this module is the
builder that draws from it.
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
import tomllib
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
# The phrase tables are data (scripts/cohort_phrases.toml, beside this file): the incident
# catalogue (every signature of the five domains of the original analysis, with how many
# incidents it gets, where it arises, real error wording and what a TA answers), how learners
# write around an error, everything that is not an incident, and people's names. Templates
# use `$name` placeholders (see `Incident.context`); `$$` is a literal `$`.
# --------------------------------------------------------------------------------------------
PHRASES_FILE = Path(__file__).resolve().with_name("cohort_phrases.toml")
PHRASES = tomllib.loads(PHRASES_FILE.read_text(encoding="utf-8"))


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


def _tuples(value):
    """TOML arrays as tuples, nested: the tables stay immutable, as when they were code."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _signature(raw: dict) -> Signature:
    return Signature(
        raw["id"],
        raw["count"],
        raw["labs"],
        _tuples(raw["errors"]),
        _tuples(raw["advice"]),
        _tuples(raw.get("follow_ups", [])),
        raw.get("prose", False),
    )


SIGNATURES: tuple[Signature, ...] = tuple(_signature(raw) for raw in PHRASES["signatures"])
BY_ID = {s.id: s for s in SIGNATURES}
INTROS = {domain: _tuples(phrases) for domain, phrases in PHRASES["intros"].items()}

OUTROS = _tuples(PHRASES["outros"])
SECOND_ERROR = _tuples(PHRASES["second_error"])
SAME_AGAIN = _tuples(PHRASES["same_again"])
STILL_STUCK = _tuples(PHRASES["still_stuck"])
THANKS = _tuples(PHRASES["thanks"])
PLUS_ONES = _tuples(PHRASES["plus_ones"])
TA_OPENERS = _tuples(PHRASES["ta_openers"])
GREETINGS = _tuples(PHRASES["greetings"])
LOGISTICS = _tuples(PHRASES["logistics"])
LOGISTICS_THANKS = _tuples(PHRASES["logistics_thanks"])
TOP_THANKS = _tuples(PHRASES["top_thanks"])
LINKS = _tuples(PHRASES["links"])
EMOJI_ONLY = _tuples(PHRASES["emoji_only"])
CHIT_CHAT = _tuples(PHRASES["chit_chat"])
NEVERMIND = _tuples(PHRASES["nevermind"])
ANNOUNCE_WELCOME = PHRASES["announce_welcome"]
ANNOUNCE_RELEASE = PHRASES["announce_release"]
ANNOUNCE_EXTENSION = PHRASES["announce_extension"]
ANNOUNCE_PREFLIGHT = PHRASES["announce_preflight"]
ANNOUNCE_BROADCAST = PHRASES["announce_broadcast"]
ANNOUNCE_LAST_WEEK = PHRASES["announce_last_week"]
OFFICE_HOURS = PHRASES["office_hours"]
BOT_REMINDER = PHRASES["bot_reminder"]
FIRST_NAMES = _tuples(PHRASES["first_names"])
LAST_NAMES = _tuples(PHRASES["last_names"])
TIMEZONES = _tuples(PHRASES["timezones"])
EMAIL_DOMAINS = _tuples(PHRASES["email_domains"])
OWN_ROLES = _tuples(PHRASES["own_roles"])
FUNCTIONS = _tuples(PHRASES["functions"])
BUCKET_WORDS = _tuples(PHRASES["bucket_words"])
MODULES = _tuples(PHRASES["modules"])
REGIONS = _tuples(PHRASES["regions"])
KEYS = _tuples(PHRASES["keys"])


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
