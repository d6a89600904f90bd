"""Forgotten people remembered by a SHA-256 of their hash, not by the hash itself.

Revision ID: 0006
Revises: 0005

`meta` keys `forgotten:<hash>` become `forgotten-sha256:<digest>` (storage.erasure), so after
`friction forget-user` the hash that stood for the person is in no file of the ledger. On
SQLite the old keys are overwritten on disk (`secure_delete`). There is no way back: a
downgrade keeps the new keys, which older code does not read (a forgotten person could then be
re-imported).
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD = "forgotten:"
NEW = "forgotten-sha256:"
meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.String))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("PRAGMA secure_delete=ON")
    old = bind.execute(sa.select(meta.c.key).where(meta.c.key.like(f"{OLD}%"))).scalars().all()
    for key in old:
        # storage.erasure.forgotten_key as it was at this revision: frozen, as a migration is.
        digest = hashlib.sha256(key.removeprefix(OLD).encode()).hexdigest()[:32]
        op.execute(meta.update().where(meta.c.key == key).values(key=NEW + digest))


def downgrade() -> None:
    """Nothing to undo: a digest cannot give the hash back."""
