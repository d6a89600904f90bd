"""Classify a help-channel message: is it a blocker, in which root-cause layer, which failure.

Pure functions over redacted text; the catalog is compiled once per process. Imports nothing
else of the project.
"""

from __future__ import annotations

from functools import cache

from classifiers.catalog import Catalog, CatalogError, Domain, Signature, catalog, load_catalog
from classifiers.classifier import TRIAGE_THRESHOLD, Classifier
from classifiers.learned import SecondOpinion, SecondOpinionError, packaged_second_opinion
from classifiers.rules import Classification, Rules, packaged_rules, rules_version
from classifiers.threads import Context, classify_thread, in_context, incident_of, moved_to

__all__ = [
    "TRIAGE_THRESHOLD",
    "Catalog",
    "CatalogError",
    "Classification",
    "Classifier",
    "Context",
    "Domain",
    "Rules",
    "SecondOpinion",
    "SecondOpinionError",
    "Signature",
    "catalog",
    "classifier_version",
    "classify",
    "classify_thread",
    "in_context",
    "incident_of",
    "is_resolution",
    "load_catalog",
    "moved_to",
    "packaged_second_opinion",
]


def classify(text: str, *, reply: bool = False) -> Classification:
    """Classify one message by the rules alone (no second opinion: `Classifier()` adds it, as the
    bot does), so tests of the rules test the rules; `reply` says it is a thread reply (answers
    and thanks are not new). `in_context` then places it in its thread: who wrote it, what the
    thread has reported."""
    return packaged_rules().classify(text, reply=reply)


def is_resolution(text: str) -> bool:
    """The asker says it works now: "thanks, that worked", "fixed it!"."""
    return packaged_rules().is_resolution(text)


@cache
def classifier_version() -> str:
    """The rules' version (code and catalog); a Classifier with a second opinion
    appends its model's.
    Read on first use: parsing the catalog costs every `friction` command at start-up."""
    return rules_version(catalog())
