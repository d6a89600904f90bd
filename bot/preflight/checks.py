"""Run the pre-flight plan against AWS with the learner's own credentials, through boto3.

boto3 comes with the `aws` extra (the bot itself does not need it), so only `friction
preflight` imports this module. Each check answers pass, fail (with the plan's fix) or "could
not check" when AWS will not say (the caller may not read IAM, or the policy simulator is denied
to it, as it is in most lab accounts): a check that cannot tell must not send a learner chasing
a problem they may not have.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.exceptions import ClientError, NoCredentialsError

from bot.preflight.plan import ACCOUNT_CHECKS, FALLBACK_REGION, Plan, Step

_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "403"}
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_REJECTED = {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException"}


class Status(StrEnum):
    passed = "pass"
    failed = "fail"
    unknown = "could not check"


@dataclass(frozen=True, slots=True)
class Result:
    step: Step
    status: Status
    detail: str

    @property
    def fix(self) -> str | None:
        return self.step.fix if self.status is Status.failed else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.step.check,
            "target": self.step.target,
            "status": self.status.value,
            "detail": self.detail,
            "fix": self.fix,
            "reason": self.step.reason,
            "incidents": self.step.incidents,
        }


@dataclass(frozen=True, slots=True)
class Report:
    results: tuple[Result, ...]
    notes: tuple[str, ...]
    identity: str | None
    region: str | None

    @property
    def ok(self) -> bool:
        return all(r.status is not Status.failed for r in self.results)

    def counts(self) -> dict[str, int]:
        return {s.name: sum(r.status is s for r in self.results) for s in Status}

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "identity": self.identity,
            "region": self.region,
            "summary": self.counts(),
            "checks": [r.as_dict() for r in self.results],
            "notes": list(self.notes),
        }


def open_session(profile: str | None) -> boto3.Session:
    """The learner's session: a named profile, else the default chain (env, files, role)."""
    return boto3.Session(profile_name=profile)


def run(plan: Plan, session: boto3.Session, region: str | None = None) -> Report:
    """Run every step of the plan in order; `region` (--region) overrides the configured one."""
    return Checker(session, region).run(plan)


class Checker:
    """The checks, sharing one call per resource (a role read once serves three checks)."""

    def __init__(self, session: boto3.Session, region: str | None) -> None:
        self.session = session
        self.flag_region = region
        self.configured_region = session.region_name
        self.default_region = region or self.configured_region
        self.arn: str | None = None
        self.account: str | None = None
        self._clients: dict[tuple[str, str], Any] = {}
        self._roles: dict[str, dict | None] = {}
        self._buckets: dict[str, tuple[str, str | None]] = {}

    def run(self, plan: Plan) -> Report:
        results = []
        for step in plan.steps:
            if step.check not in ACCOUNT_CHECKS and self.arn is None:
                results.append(Result(step, Status.unknown, "skipped: no valid credentials"))
                continue
            results.append(self._guarded(step))
        return Report(tuple(results), plan.notes, self.arn, self.default_region)

    def _guarded(self, step: Step) -> Result:
        """One check; an error AWS or the network raises is its result, not the run's end."""
        check: Callable[[Step], tuple[Status, str]] = getattr(self, step.check)
        try:
            status, detail = check(step)
        except ClientError as exc:
            status, detail = Status.unknown, _client_error(exc)
        except Exception as exc:  # any other failure (network, emulator) leaves it unknown
            status, detail = Status.unknown, f"could not check: {exc}"
        return Result(step, status, detail)

    def client(self, service: str, region: str | None = None) -> Any:
        where = region or self.default_region or FALLBACK_REGION
        if (service, where) not in self._clients:
            self._clients[service, where] = self.session.client(service, region_name=where)
        return self._clients[service, where]

    # -- account

    def credentials(self, step: Step) -> tuple[Status, str]:
        try:
            identity = self.client("sts").get_caller_identity()
        except NoCredentialsError:
            profile = self.session.profile_name
            return Status.failed, f"no credentials found (profile {profile})"
        except ClientError as exc:
            code = _code(exc)
            if code in _EXPIRED:
                return Status.failed, f"the session token has expired ({code})"
            if code in _REJECTED:
                return Status.failed, f"AWS does not accept these credentials ({code})"
            raise
        self.arn, self.account = identity["Arn"], identity["Account"]
        return Status.passed, f"{self.arn} (account {self.account})"

    def region(self, step: Step) -> tuple[Status, str]:
        configured, expected = self.configured_region, step.region
        if configured is None:
            note = f" (--region {self.flag_region} applies to these checks only)"
            return Status.failed, "no region configured" + (note if self.flag_region else "")
        if expected is not None and configured != expected:
            return Status.failed, f"the configured region is {configured}, the lab uses {expected}"
        return Status.passed, configured + (", as the lab expects" if expected else "")

    # -- roles

    def _role(self, name: str) -> dict | None:
        if name not in self._roles:
            try:
                self._roles[name] = self.client("iam").get_role(RoleName=name)["Role"]
            except ClientError as exc:
                if _code(exc) != "NoSuchEntity":
                    raise
                self._roles[name] = None
        return self._roles[name]

    def role_exists(self, step: Step) -> tuple[Status, str]:
        role = self._role(step.target)
        if role is None:
            return Status.failed, f"no role named {step.target} in account {self.account}"
        return Status.passed, role["Arn"]

    def role_trust(self, step: Step) -> tuple[Status, str]:
        role, service = self._role(step.target), step.resource.service
        if role is None:
            return Status.unknown, "skipped: the role does not exist"
        trusted = trusted_services(role["AssumeRolePolicyDocument"])
        if service in trusted:
            return Status.passed, f"trusts {service}"
        named = ", ".join(trusted) if trusted else "no AWS service"
        return Status.failed, f"trusts {named}, not {service}"

    def can_pass_role(self, step: Step) -> tuple[Status, str]:
        role, service = self._role(step.target), step.resource.service
        if role is None:
            return Status.unknown, "skipped: the role does not exist"
        source = self._policy_source()
        if source is None:
            return (
                Status.unknown,
                f"could not check: the policy simulator cannot evaluate {self.arn}",
            )
        if source.endswith(":root"):
            return Status.passed, "the account's root user may pass any role"
        try:
            answer = self.client("iam").simulate_principal_policy(
                PolicySourceArn=source,
                ActionNames=["iam:PassRole"],
                ResourceArns=[role["Arn"]],
                ContextEntries=[
                    {
                        "ContextKeyName": "iam:PassedToService",
                        "ContextKeyValues": [service],
                        "ContextKeyType": "string",
                    }
                ],
            )
        except ClientError as exc:
            if _code(exc) not in _DENIED:
                raise
            return Status.unknown, (
                "could not check: your identity may not use the IAM policy simulator "
                "(iam:SimulatePrincipalPolicy); lab accounts often deny it"
            )
        decision = answer["EvaluationResults"][0]["EvalDecision"]
        if decision == "allowed":
            return Status.passed, f"{source} may pass it to {service}"
        if decision == "explicitDeny":
            return Status.failed, f"a Deny statement stops {source} passing {role['Arn']}"
        return Status.failed, f"no policy of {source} allows iam:PassRole on {role['Arn']}"

    def _policy_source(self) -> str | None:
        """The IAM ARN whose policies decide for the caller: a user's, or an assumed role's."""
        arn = self.arn or ""
        partition = arn.split(":")[1] if arn.count(":") >= 5 else "aws"
        if ":assumed-role/" in arn:
            name = arn.split(":assumed-role/")[1].split("/")[0]
            try:
                role = self._role(name)
            except ClientError:  # may not read its own role: the ARN without a path will do
                role = None
            return role["Arn"] if role else f"arn:{partition}:iam::{self.account}:role/{name}"
        if ":user/" in arn or arn.endswith(":root"):
            return arn
        return None

    # -- buckets

    def _bucket(self, name: str) -> tuple[str, str | None]:
        """("exists" | "missing" | "forbidden", the bucket's region if S3 said)."""
        if name not in self._buckets:
            try:
                answer = self.client("s3").head_bucket(Bucket=name)
                state, metadata = "exists", answer["ResponseMetadata"]
            except ClientError as exc:
                code, metadata = _code(exc), exc.response.get("ResponseMetadata", {})
                if code in ("404", "NoSuchBucket"):
                    state = "missing"
                elif code in ("403", "AccessDenied"):
                    state = "forbidden"
                else:
                    raise
            region = metadata.get("HTTPHeaders", {}).get("x-amz-bucket-region")
            self._buckets[name] = (state, region)
        return self._buckets[name]

    def bucket_exists(self, step: Step) -> tuple[Status, str]:
        state, region = self._bucket(step.target)
        if state == "missing":
            return Status.failed, f"no bucket named {step.target}"
        if state == "forbidden":
            return Status.failed, (
                "the bucket exists, but your identity may not use it: another account owns "
                "the name, or a policy denies s3:ListBucket"
            )
        return Status.passed, "exists" + (f" in {region}" if region else "")

    def bucket_region(self, step: Step) -> tuple[Status, str]:
        state, region = self._bucket(step.target)
        if state == "missing":
            return Status.unknown, "skipped: the bucket does not exist"
        if region is None:
            location = self.client("s3").get_bucket_location(Bucket=step.target)
            region = bucket_location_region(location.get("LocationConstraint"))
        if region != step.region:
            return Status.failed, f"the bucket is in {region}, the lab expects {step.region}"
        return Status.passed, f"in {region}"

    # -- logs

    def log_group_exists(self, step: Step) -> tuple[Status, str]:
        region = step.region or self.default_region or FALLBACK_REGION
        pages = self.client("logs", region).get_paginator("describe_log_groups")
        for page in pages.paginate(logGroupNamePrefix=step.target):
            if any(group["logGroupName"] == step.target for group in page["logGroups"]):
                return Status.passed, f"exists in {region}"
        return Status.failed, f"no log group {step.target} in {region}"


def trusted_services(document: dict | str) -> list[str]:
    """The service principals a trust policy lets assume the role (Allow + sts:AssumeRole)."""
    if isinstance(document, str):  # the raw API returns it URL-encoded; boto3 decodes it
        document = json.loads(unquote(document))
    statements = document.get("Statement", [])
    services: list[str] = []
    for statement in statements if isinstance(statements, list) else [statements]:
        actions = _as_list(statement.get("Action"))
        if statement.get("Effect") != "Allow" or not {"sts:AssumeRole", "sts:*", "*"} & set(
            actions
        ):
            continue
        principal = statement.get("Principal", {})
        if isinstance(principal, dict):
            services += [s for s in _as_list(principal.get("Service")) if s not in services]
    return services


def bucket_location_region(constraint: str | None) -> str:
    """GetBucketLocation's answer as a region: empty means us-east-1, "EU" is eu-west-1."""
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(constraint, constraint)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _client_error(exc: ClientError) -> str:
    """A refusal the check cannot see past, said as such: denied is not the same as absent."""
    code = _code(exc)
    if code in _DENIED:
        return f"could not check: your identity may not call {exc.operation_name} ({code})"
    return f"could not check: {exc.operation_name} failed ({code})"
