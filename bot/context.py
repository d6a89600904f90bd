"""Wiring shared by every entry point: the ledger, its salt, the catalog's ids, the ingestor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import ConfigError, Settings
from bot.ingest.ingestor import Ingestor
from bot.ingest.privacy import Pseudonymizer, new_salt
from classifiers import Classifier, SecondOpinion, SecondOpinionError, catalog, classifier_version
from storage.db import open_ledger
from storage.ledger import meta_value, set_meta, set_meta_once, sync_taxonomy


@dataclass
class Context:
    settings: Settings
    engine: Engine
    pseudonymize: Pseudonymizer
    ingestor: Ingestor


def open_context(settings: Settings, database_url: str | None = None) -> Context:
    """Open (and migrate) the ledger and get everything ready to ingest into it (the classifier
    is built on first use, a model file it names read and checked now)."""
    new_classifier = _classifier(settings)
    engine = open_ledger(database_url or settings.database_url)
    with Session(engine) as session:
        salt = _salt(session, settings, engine.dialect.name)
        _sync_catalog(session)
        session.commit()
    pseudonymize = Pseudonymizer(salt)
    channels = settings.file.channels
    people = settings.file.people
    ingestor = Ingestor(
        engine,
        pseudonymize,
        triage_threshold=settings.file.classifier.triage_threshold,
        new_classifier=new_classifier,
        cohort_for=channels.cohort,
        staff=frozenset(map(pseudonymize, [*people.tas, *people.leads])),
    )
    return Context(settings, engine, pseudonymize, ingestor)


class ModelTurnedOff(Exception):
    """A model file named while the second opinion is turned off; each caller words it for its
    own settings."""


def classifier_factory(second_opinion: bool, model: Path | None) -> Callable[[], Classifier]:
    """How to build the classifier asked for: the rules with the packaged second opinion, with the
    model file `model` names (from `friction train`), or alone. The file is read now, so one that
    cannot be used (SecondOpinionError) stops the start, not the first message; the rules are
    compiled when the factory is called."""
    if model is None:
        return partial(Classifier, second_opinion=second_opinion)
    if not second_opinion:
        raise ModelTurnedOff(model)
    loaded = SecondOpinion.load(model)
    loaded.check(catalog())
    return partial(Classifier, second_opinion=loaded)


def _classifier(settings: Settings) -> Callable[[], Classifier]:
    """`classifier_factory` for `[classifier]`, its mistakes worded for the config file."""
    config = settings.file.classifier
    try:
        return classifier_factory(config.second_opinion, config.model)
    except ModelTurnedOff:
        raise ConfigError(
            "[classifier] model is set but second_opinion = false turns the model off"
        ) from None
    except SecondOpinionError as exc:
        raise ConfigError(f"[classifier] model: {exc}") from None


def _salt(session: Session, settings: Settings, dialect: str) -> str:
    """FRICTION_SALT; on SQLite, when unset, a salt generated once and kept in the ledger."""
    if settings.friction_salt is not None:
        return settings.friction_salt.get_secret_value()
    if dialect != "sqlite":
        raise ConfigError(
            "FRICTION_SALT is not set: a shared database needs one salt for every replica "
            "(generate one with: python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    return set_meta_once(session, "salt", new_salt())


def _sync_catalog(session: Session) -> None:
    """Keep the lookup tables in step with the catalog, once per catalog version."""
    if meta_value(session, "catalog_version") == classifier_version():
        return
    cat = catalog()
    sync_taxonomy(
        session,
        [(d.id, d.label) for d in cat.domains],
        [(s.id, s.domain, s.title, s.hint) for s in cat.signatures],
    )
    set_meta(session, "catalog_version", classifier_version())
