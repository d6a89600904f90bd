"""The demo cohort's export (`COHORT`) imported into a ledger, a data set many tests share: the
`demo_ledger` fixture (a plugin of conftest's)."""

from pathlib import Path

import pytest

from bot.config import Settings
from bot.context import Context, open_context
from bot.history.importer import import_export

COHORT = Path(__file__).parents[2] / "bot" / "demo_cohort"
SALT = {"FRICTION_SALT": "salt"}


def write_demo_cohort(url: str, _folder: Path) -> None:
    """A seed for conftest's `seeded`: the demo cohort, imported with the salt SALT."""
    context = open_context(Settings(**SALT), url)
    import_export(context, COHORT)
    context.engine.dispose()


@pytest.fixture
def demo_ledger(seeded) -> Context:
    """This test's own ledger holding the demo cohort, opened with the salt SALT."""
    url, _ = seeded(write_demo_cohort)
    return open_context(Settings(**SALT), url)
