"""What `friction preflight` checks, in which order, and why: the lab file meets the ledger.

A lab author lists the lab's resources in a small TOML file; the catalog says which checks
would have caught each failure signature; the ledger says how often each signature hit the
last cohort. The plan runs the checks of the signatures that happened, most frequent first, so
a learner sees first what blocked most people. Both the Python checks (bot/preflight/checks.py) and
the shell script (bot/preflight/script.py) run the same plan with the same fixes.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    NonNegativeInt,
    TypeAdapter,
    ValidationError,
)

from classifiers.catalog import CHECKS, Catalog, catalog

FALLBACK_REGION = "us-east-1"  # where checks run when nothing names a region (IAM is global)
# Checks that need no resource from the lab file; every other check needs the resource below.
ACCOUNT_CHECKS = ("credentials", "region")
RESOURCE_OF = {
    "role_exists": "role",
    "role_trust": "role",
    "can_pass_role": "role",
    "bucket_exists": "bucket",
    "bucket_region": "bucket",
    "log_group_exists": "log_group",
}


class LabFileError(ValueError):
    """The lab file is missing or invalid; the message names the file and the field."""


def _matching(pattern: str, what: str):
    """A validator: the value must match `pattern`, else an error saying what it must be."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"must be {what}, got {value!r}")
        return value

    return AfterValidator(check)


Region = Annotated[str, _matching(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", "an AWS region like us-east-1")]
ServicePrincipal = Annotated[
    str,
    _matching(
        r"[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?",
        "a service principal like lambda.amazonaws.com",
    ),
]
RoleName = Annotated[
    str, _matching(r"[\w+=,.@-]{1,64}", "a role name (1-64 letters, digits or +=,.@_-)")
]
BucketName = Annotated[
    str,
    _matching(
        r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
        "a bucket name (3-63 lowercase letters, digits, dots or hyphens)",
    ),
]
LogGroupName = Annotated[
    str, _matching(r"[\w./#-]{1,512}", "a log group name like /aws/lambda/my-function")
]


def check_region_name(value: str) -> str:
    """A --region value, validated like the lab file's regions (ValueError says what is wrong)."""
    try:
        return TypeAdapter(Region).validate_python(value)
    except ValidationError as exc:
        raise ValueError(
            f"--region {exc.errors()[0]['msg'].removeprefix('Value error, ')}"
        ) from None


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(_Entry):
    name: RoleName
    service: ServicePrincipal
    """The service that must be able to assume the role (and be passed it)."""


class Bucket(_Entry):
    name: BucketName
    region: Region | None = None
    """Where the lab expects the bucket; the lab's region when not given."""


class LogGroup(_Entry):
    name: LogGroupName
    region: Region | None = None


SignatureId = Annotated[
    str, _matching(r"[a-z0-9_]+\.[a-z0-9_]+", "a signature id like iam.passrole")
]


class LabFile(_Entry):
    name: str | None = None
    region: Region | None = None
    role: tuple[Role, ...] = ()
    bucket: tuple[Bucket, ...] = ()
    log_group: tuple[LogGroup, ...] = ()
    incidents: dict[SignatureId, NonNegativeInt] = {}
    """Last cohort's incidents per signature, for learners who have no ledger: written by
    `friction preflight --print-incidents`, used when no ledger has any."""


def load_lab_file(path: str | Path, signatures: Collection[str] | None = None) -> LabFile:
    """Read and validate a lab file; raise LabFileError naming the file and the field.

    `signatures`: the ids [incidents] may name (default: the packaged catalog's).
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LabFileError(f"{path}: cannot read the lab file: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LabFileError(f"{path}: not valid TOML: {exc}") from None
    try:
        lab = LabFile.model_validate(data)
    except ValidationError as exc:
        raise LabFileError("\n".join(_describe(path, data, e) for e in exc.errors())) from None
    known = set(signatures if signatures is not None else (s.id for s in catalog().signatures))
    for signature in lab.incidents.keys() - known:
        nearest = difflib.get_close_matches(signature, sorted(known), n=1)
        guess = f" (did you mean {nearest[0]}?)" if nearest else ""
        raise LabFileError(f"{path}: [incidents]: unknown signature '{signature}'{guess}")
    return lab


def _describe(path: Path, data: dict, error) -> str:
    """One line per validation error: `lab.toml: [[role]] #2 (LabRole): field 'service': ...`."""
    loc = list(error["loc"])
    where = str(path)
    if len(loc) >= 2 and isinstance(loc[1], int):
        table, index = loc[0], loc[1]
        entry = data.get(table, [])[index]
        name = entry.get("name") if isinstance(entry, dict) else None
        where += f": [[{table}]] #{index + 1}" + (f" ({name})" if isinstance(name, str) else "")
        loc = loc[2:]
    field = ".".join(str(part) for part in loc)
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown field '{field}'"
    if error["type"] == "missing":
        return f"{where}: field '{field}' is required"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] in ("tuple_type", "list_type"):
        message = f"must be an array of tables ([[{field}]])"
    return f"{where}: field '{field}': {message}" if field else f"{where}: {message}"


Resource = Role | Bucket | LogGroup


@dataclass(frozen=True, slots=True)
class Step:
    """One check on one resource, with why it runs and how to fix a failure."""

    check: str
    resource: Resource | None
    region: str | None
    """The region the lab expects (the step's own, else the lab's), if it says."""
    reason: str
    incidents: int
    fix: str

    @property
    def target(self) -> str:
        if self.resource is not None:
            return self.resource.name
        return (self.region or "") if self.check == "region" else ""


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...]
    notes: tuple[str, ...]
    lab: LabFile


def plan(
    lab: LabFile,
    counts: Mapping[str, int],
    catalog: Catalog,
    *,
    everything: bool = False,
    profile: str | None = None,
) -> Plan:
    """Order the checks the lab file allows by the incidents of the signatures they guard.

    With ledger figures, only checks whose signatures happened run (`everything` runs the rest
    too, after them); without, every check runs. `credentials` always runs first: every other
    AWS check needs it.
    """
    guards = {name: [s.id for s in catalog.signatures if name in s.checks] for name in CHECKS}
    hits = {name: {s: counts[s] for s in guards[name] if counts.get(s)} for name in CHECKS}
    weight = {name: sum(hits[name].values()) for name in CHECKS}
    any_data = any(weight.values())
    chosen = [
        name
        for name in CHECKS
        if name == "credentials" or weight[name] or everything or not any_data
    ]
    chosen.sort(key=lambda name: (name != "credentials", -weight[name], CHECKS.index(name)))
    steps: list[Step] = []
    notes: list[str] = []
    unlisted: dict[str, list[str]] = {}  # resource kind -> the checks it would have run
    why: dict[str, str] = {}
    for name in chosen:
        reason = _reason(name, hits[name], guards[name])
        resources = _resources(lab, name)
        if not resources:
            unlisted.setdefault(RESOURCE_OF[name], []).append(name)
            if hits[name] and len(unlisted[RESOURCE_OF[name]]) == 1:  # the heaviest says why
                why[RESOURCE_OF[name]] = f" ({reason})"
        for resource in resources:
            region = getattr(resource, "region", None) or lab.region
            if name == "bucket_region" and region is None:
                notes.append(
                    f"bucket_region {resource.name}: not run: neither the bucket nor the lab "
                    "file names a region"
                )
                continue
            fix = _fix(name, resource, region, profile)
            steps.append(Step(name, resource, region, reason, weight[name], fix))
    for kind, names in unlisted.items():
        notes.append(
            f"{', '.join(names)}: not run: the lab file lists no [[{kind}]]{why.get(kind, '')}"
        )
    return Plan(tuple(steps), tuple(notes), lab)


def incidents_table(counts: Mapping[str, int], catalog: Catalog, source: str) -> str:
    """The [incidents] table for a lab file: the counts of signatures that have checks."""
    guarded = {s.id for s in catalog.signatures if s.checks}
    rows = sorted(((s, n) for s, n in counts.items() if s in guarded), key=lambda r: (-r[1], r[0]))
    return "\n".join(
        [
            f"# Incidents per signature ({source}), written by friction preflight",
            "# --print-incidents: learners without the ledger get the same order and reasons.",
            "[incidents]",
            *(f'"{signature}" = {n}' for signature, n in rows),
        ]
    )


def _resources(lab: LabFile, check: str) -> tuple[Resource | None, ...]:
    if check in ACCOUNT_CHECKS:
        return (None,)
    return getattr(lab, RESOURCE_OF[check])


def _reason(check: str, hits: dict[str, int], guards: list[str]) -> str:
    """Why a check is in the plan: "iam.passrole: 41 incidents; iam.trust_policy: 2 incidents"."""
    if hits:
        ranked = sorted(hits.items(), key=lambda item: (-item[1], item[0]))
        return "; ".join(f"{s}: {n} incident{'s' if n != 1 else ''}" for s, n in ranked)
    if check == "credentials":
        return "every other check needs valid credentials"
    return f"guards against {', '.join(guards)} (no incidents in the ledger)"


def trust_policy(service: str) -> str:
    """The trust policy that lets `service` assume a role, as one line of JSON."""
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, separators=(",", ":"))


def _fix(check: str, resource: Resource | None, region: str | None, profile: str | None) -> str:
    """The fix shown when the check fails: what to do, with the command that does it."""
    at = f" --region {region}" if region else ""
    flag = f" --profile {profile}" if profile else ""
    if check == "credentials":
        where = f"under [{profile}] " if profile else ""
        return (
            "Copy fresh credentials (access key, secret key and session token) from the lab's "
            f"AWS details into ~/.aws/credentials {where}(lab sessions expire), or run "
            f"aws configure{flag}."
        )
    if check == "region":
        name = region or FALLBACK_REGION
        return (
            f"Set the region: aws configure set region {name}{flag} (or export "
            f"AWS_DEFAULT_REGION={name}); in code, pass region_name='{name}'."
        )
    if isinstance(resource, Role):
        policy = trust_policy(resource.service)
        return {
            "role_exists": (
                f"Create the role {resource.name} for {resource.service}, or use the lab's "
                f"pre-made role: aws iam create-role --role-name {resource.name} "
                f"--assume-role-policy-document '{policy}'"
            ),
            "role_trust": (
                f"Let {resource.service} assume {resource.name} (IAM > Roles > {resource.name} > "
                f"Trust relationships): aws iam update-assume-role-policy --role-name "
                f"{resource.name} --policy-document '{policy}'"
            ),
            "can_pass_role": (
                f"Allow your identity iam:PassRole on the role {resource.name} (a statement "
                '{"Effect":"Allow","Action":"iam:PassRole","Resource":"<the role ARN>"}), or '
                "pick the pre-made role the lab names instead of one you created."
            ),
        }[check]
    if isinstance(resource, Bucket):
        if check == "bucket_exists":
            return (
                f"Check the name in your code against aws s3 ls, or create it: aws s3 mb "
                f"s3://{resource.name}{at} (names are global: one another account holds needs "
                "a new name)."
            )
        return (
            f"The lab expects the bucket in {region}: recreate it there (aws s3 rb "
            f"s3://{resource.name} --force, then aws s3 mb s3://{resource.name}{at}), or create "
            "every client that uses it in the bucket's region (region_name=...)."
        )
    assert isinstance(resource, LogGroup)
    return (
        "Give the function's role logs:CreateLogGroup, logs:CreateLogStream and "
        "logs:PutLogEvents (AWSLambdaBasicExecutionRole) and invoke it once, or create it: "
        f"aws logs create-log-group --log-group-name {resource.name}{at}"
        + (f"; and look for it in {region}." if region else ".")
    )
