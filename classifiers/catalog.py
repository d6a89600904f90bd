"""The signature catalog: domains, signatures and detector phrases, kept as data.

The catalog lives in `catalog.toml` so that a trainer can add a failure mode without touching
code. It is validated as it is loaded: a mistake is reported with the file, the entry and the
field, because a silently skipped pattern would quietly lower accuracy.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).with_name("catalog.toml")
_ID = re.compile(r"^[a-z0-9_]+$")
_SIGNATURE_ID = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")
_ESCAPE = re.compile(r"\\.")
_NAME = re.compile(r"^[a-z0-9][a-z0-9 -]*$")
_REFERENCE = "@"
"""Starts an `unless` entry that names a signature, whose own patterns are then its vetoes."""
_PHRASES = "$"
"""Starts a fragment-list entry that names a `[phrases]` list: fragments written once and used
where they are named, such as one signature's patterns that veto another."""
_FRAGMENT_LISTS = {
    "domain": ("cues",),
    "signature": ("patterns", "generic_patterns", "cues", "unless"),
}
# Detector phrase lists: what makes a message a blocker, chatter, a mere answer, a resolution,
# or an explanation of what caused the trouble.
DETECTOR_LISTS = (
    "blocker",
    "blocker_unspaced",
    "chatter",
    "question",
    "advice",
    "report",
    "resolution",
    "unresolved",
    "cause",
)
# Pre-flight checks a signature may name (`friction preflight` runs them; bot/preflight/checks.py).
CHECKS = (
    "credentials",
    "region",
    "role_exists",
    "role_trust",
    "can_pass_role",
    "bucket_exists",
    "bucket_region",
    "log_group_exists",
)


class CatalogError(ValueError):
    """The catalog file is not valid; the message names the file, entry and field."""


@dataclass(frozen=True, slots=True)
class Domain:
    id: str
    label: str
    cues: tuple[str, ...]
    """Regex fragments (whole words) that point at this layer when no signature matches."""
    services: tuple[str, ...]
    """The service's names in SDK errors, endpoints and ARNs ("Service: AmazonDynamoDBv2")."""
    operations: tuple[str, ...]
    """Its API operation names, lowercase ("putitem"): "when calling the PutItem operation"."""
    caller: bool
    """Its cues say where code runs (a Lambda calling S3), not which service answered, so they
    do not take a generic error ("Access Denied") away from the service that raised it."""


@dataclass(frozen=True, slots=True)
class Signature:
    id: str
    domain: str
    title: str
    hint: str
    runbook: str | None
    priority: int
    """Higher wins when a message matches several signatures (taxonomy.md precedence)."""
    patterns: tuple[str, ...]
    """Regex fragments that identify this failure mode on their own."""
    cues: tuple[str, ...]
    """Weaker regex fragments: they pick this signature within its domain, never alone."""
    generic_patterns: tuple[str, ...]
    """Wording many services share ("ValidationException"): it only counts for this signature
    when nothing in the message points at another domain."""
    outside: str | None
    """What a generic match means when another domain is indicated (a bare "Access Denied"
    outside S3 is a missing IAM permission); None: that domain's own cue-chosen signature."""
    unless: tuple[str, ...]
    """Regex fragments that veto this signature ("not in a VPC" vetoes vpc.connectivity),
    wherever they occur in the message."""
    yields_to: tuple[str, ...]
    """Signatures whose own patterns veto this one where they are read (`unless` entries '@id'):
    a failure that names itself ("MalformedPolicyDocument") is that one, whatever else matches."""
    overrides: tuple[str, ...]
    """Signatures this one replaces when its cues appear next to their patterns: a Lambda
    timeout in a VPC with no NAT is a networking fault."""
    checks: tuple[str, ...] = ()
    """Pre-flight checks (names in CHECKS) that would have caught this failure beforehand."""


@dataclass(frozen=True, slots=True)
class Catalog:
    domains: tuple[Domain, ...]
    signatures: tuple[Signature, ...]
    detector: dict[str, tuple[str, ...]]
    digest: str
    """Short hash of the catalog file: part of the classifier version."""
    path: str

    def domain(self, domain_id: str) -> Domain:
        return next(d for d in self.domains if d.id == domain_id)

    def signature(self, signature_id: str) -> Signature:
        return next(s for s in self.signatures if s.id == signature_id)


def load_catalog(path: str | Path = DEFAULT_PATH) -> Catalog:
    """Read and validate a catalog file; raise CatalogError naming what is wrong."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: not valid TOML: {exc}") from exc
    where = str(path)
    _expand_phrases(where, data)
    domains = tuple(
        _domain(where, i, entry) for i, entry in enumerate(_table_list(where, data, "domain"))
    )
    signatures = tuple(
        _signature(where, i, entry) for i, entry in enumerate(_table_list(where, data, "signature"))
    )
    detector = _detector(where, data.get("detector"))
    _check_references(where, domains, signatures)
    return Catalog(
        domains=domains,
        signatures=signatures,
        detector=detector,
        digest=hashlib.sha256(raw).hexdigest()[:10],
        path=where,
    )


@cache
def catalog() -> Catalog:
    """The packaged catalog, loaded once per process."""
    return load_catalog()


def _expand_phrases(where: str, data: dict[str, Any]) -> None:
    """Replace each '$name' entry of a fragment list by the `[phrases]` list of that name, in
    place: the catalog then reads as if the fragments were written there."""
    table = data.pop("phrases", {})
    if not isinstance(table, dict):
        raise CatalogError(f"{where}: [phrases] must be a table of named fragment lists")
    for name, values in table.items():
        _patterns(f"{where}: [phrases]", table, name)
        if not _ID.match(name) or any(v.startswith(_PHRASES) for v in values):
            raise CatalogError(
                f"{where}: [phrases] {name}: a name is lowercase letters, digits or _, and its "
                "fragments name no other list"
            )
    unused = set(table)

    def expanded(label: str, values: Any) -> Any:
        if not isinstance(values, list):
            return values  # reported where the field is read
        out = []
        for value in values:
            if isinstance(value, str) and value.startswith(_PHRASES):
                name = value.removeprefix(_PHRASES)
                if name not in table:
                    raise CatalogError(f"{label} names unknown [phrases] list {value!r}")
                unused.discard(name)
                out += table[name]
            else:
                out.append(value)
        return out

    for kind, fields in _FRAGMENT_LISTS.items():
        for entry in data.get(kind) or ():
            for field in fields:
                if isinstance(entry, dict) and field in entry:
                    label = f"{where}: [[{kind}]] {entry.get('id', '?')}: field '{field}'"
                    entry[field] = expanded(label, entry[field])
    detector = data.get("detector")
    if isinstance(detector, dict):
        for name in detector:
            detector[name] = expanded(f"{where}: [detector] field '{name}'", detector[name])
    if unused:
        raise CatalogError(f"{where}: [phrases] list(s) never used: {', '.join(sorted(unused))}")


def _table_list(where: str, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    entries = data.get(key)
    if not isinstance(entries, list) or not entries:
        raise CatalogError(f"{where}: needs at least one [[{key}]] table")
    return entries


def _field(
    where: str, entry: dict[str, Any], name: str, kind: type, *, required: bool = True
) -> Any:
    value = entry.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, kind) or (kind is str and not value.strip()):
        expected = "a non-empty string" if kind is str else kind.__name__
        raise CatalogError(f"{where}: field '{name}' must be {expected}, got {value!r}")
    return value


def _patterns(where: str, entry: dict[str, Any], name: str) -> tuple[str, ...]:
    values = entry.get(name, [])
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise CatalogError(f"{where}: field '{name}' must be a list of non-empty strings")
    _once(where, name, values)
    for value in values:
        if _ESCAPE.sub("", value) != _ESCAPE.sub("", value).lower():
            raise CatalogError(
                f"{where}: field '{name}': {value!r} must be lowercase (text is lowercased)"
            )
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise CatalogError(f"{where}: field '{name}': bad regex {value!r}: {exc}") from exc
        if compiled.groups:
            raise CatalogError(
                f"{where}: field '{name}': {value!r} has a capturing group; use (?:...)"
            )
        if compiled.match(""):
            raise CatalogError(f"{where}: field '{name}': {value!r} matches the empty string")
    return tuple(values)


def _vetoes(where: str, entry: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A signature's `unless` list: its regex fragments, and the signatures it names ('@id')."""
    values = entry.get("unless", [])
    if not isinstance(values, list):
        return _patterns(where, entry, "unless"), ()
    refs = [v for v in values if isinstance(v, str) and v.startswith(_REFERENCE)]
    fragments = _patterns(where, {"unless": [v for v in values if v not in refs]}, "unless")
    return fragments, tuple(ref.removeprefix(_REFERENCE) for ref in refs)


def _names(where: str, entry: dict[str, Any], name: str) -> tuple[str, ...]:
    values = entry.get(name, [])
    if not isinstance(values, list) or not all(
        isinstance(v, str) and _NAME.match(v) for v in values
    ):
        raise CatalogError(
            f"{where}: field '{name}' must list lowercase names (letters, digits, - or space)"
        )
    _once(where, name, values)
    return tuple(values)


def _once(where: str, name: str, values: list[str]) -> None:
    """A list names each entry once: a second copy (as a merge can leave) changes nothing but
    hides which one a later edit should change."""
    if repeated := _repeated(values):
        raise CatalogError(f"{where}: field '{name}' lists {repeated} more than once")


def _repeated(values: list[str]) -> list[str]:
    """The entries `values` holds more than once, sorted."""
    return sorted(value for value, n in Counter(values).items() if n > 1)


def _domain(where: str, index: int, entry: dict[str, Any]) -> Domain:
    label = f"{where}: [[domain]] #{index + 1} ({entry.get('id', '?')})"
    domain_id = _field(label, entry, "id", str)
    if not _ID.match(domain_id):
        raise CatalogError(f"{label}: field 'id' must be lowercase letters, digits or _")
    return Domain(
        id=domain_id,
        label=_field(label, entry, "label", str),
        cues=_patterns(label, entry, "cues"),
        services=_names(label, entry, "services"),
        operations=_names(label, entry, "operations"),
        caller=_field(label, entry, "caller", bool, required=False) or False,
    )


def _signature(where: str, index: int, entry: dict[str, Any]) -> Signature:
    label = f"{where}: [[signature]] #{index + 1} ({entry.get('id', '?')})"
    signature_id = _field(label, entry, "id", str)
    if not _SIGNATURE_ID.match(signature_id):
        raise CatalogError(f"{label}: field 'id' must look like 'domain.failure_mode'")
    domain = _field(label, entry, "domain", str)
    if signature_id.split(".")[0] != domain:
        raise CatalogError(f"{label}: field 'id' must start with its domain '{domain}.'")
    priority = entry.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise CatalogError(f"{label}: field 'priority' must be an integer, got {priority!r}")
    patterns = _patterns(label, entry, "patterns")
    unless, yields_to = _vetoes(label, entry)
    if not patterns and not signature_id.endswith(".other") and "generic_patterns" not in entry:
        raise CatalogError(f"{label}: field 'patterns' must list at least one pattern")
    return Signature(
        id=signature_id,
        domain=domain,
        title=_field(label, entry, "title", str),
        hint=_field(label, entry, "hint", str),
        runbook=_field(label, entry, "runbook", str, required=False),
        priority=priority,
        patterns=patterns,
        cues=_patterns(label, entry, "cues"),
        generic_patterns=_patterns(label, entry, "generic_patterns"),
        outside=_field(label, entry, "outside", str, required=False),
        unless=unless,
        yields_to=yields_to,
        overrides=tuple(_field(label, entry, "overrides", list, required=False) or ()),
        checks=_checks(label, entry),
    )


def _checks(where: str, entry: dict[str, Any]) -> tuple[str, ...]:
    values = entry.get("checks", [])
    unknown = [v for v in values if v not in CHECKS] if isinstance(values, list) else [values]
    if unknown:
        raise CatalogError(
            f"{where}: field 'checks' names unknown check(s) {unknown}; known: {', '.join(CHECKS)}"
        )
    return tuple(values)


def _detector(where: str, table: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(table, dict):
        raise CatalogError(f"{where}: needs a [detector] table")
    unknown = set(table) - set(DETECTOR_LISTS)
    if unknown:
        raise CatalogError(f"{where}: [detector] has unknown field(s) {sorted(unknown)}")
    return {name: _patterns(f"{where}: [detector]", table, name) for name in DETECTOR_LISTS}


def _check_references(
    where: str, domains: tuple[Domain, ...], signatures: tuple[Signature, ...]
) -> None:
    domain_ids = [d.id for d in domains]
    signature_ids = [s.id for s in signatures]
    for kind, ids in (("domain", domain_ids), ("signature", signature_ids)):
        if duplicated := _repeated(ids):
            raise CatalogError(f"{where}: duplicate [[{kind}]] id(s) {duplicated}")
    for signature in signatures:
        if signature.domain not in domain_ids:
            raise CatalogError(
                f"{where}: [[signature]] {signature.id}: field 'domain' names unknown domain "
                f"'{signature.domain}'"
            )
        for name, refs in (("outside", [signature.outside]), ("overrides", signature.overrides)):
            unknown = [r for r in refs if r is not None and r not in signature_ids]
            if unknown:
                raise CatalogError(
                    f"{where}: [[signature]] {signature.id}: field '{name}' names unknown "
                    f"signature(s) {unknown}"
                )
    if "other" not in domain_ids:
        raise CatalogError(f"{where}: needs a [[domain]] with id 'other'")
    missing = sorted(f"{d}.other" for d in domain_ids if f"{d}.other" not in signature_ids)
    if missing:
        raise CatalogError(f"{where}: every domain needs a '<domain>.other' signature: {missing}")
    by_id = {s.id: s for s in signatures}
    for signature in signatures:
        _check_yields(where, signature, by_id)


def _check_yields(where: str, signature: Signature, signatures: dict[str, Signature]) -> None:
    """Each '@id' of `unless` names another signature that has patterns of its own."""
    field = f"{where}: [[signature]] {signature.id}: field 'unless'"
    for ref in signature.yields_to:
        named = signatures.get(ref)
        if named is None:
            raise CatalogError(f"{field} names unknown signature '{_REFERENCE}{ref}'")
        if named is signature:
            raise CatalogError(f"{field} names the signature itself, '{_REFERENCE}{ref}'")
        if not named.patterns:
            raise CatalogError(
                f"{field} names '{_REFERENCE}{ref}', which has no patterns to veto by"
            )
