"""The digest's chart: incidents and hours blocked per domain, side by side, as a PNG.

Matplotlib with the Agg backend draws without a display, so the bot can render it on a server.
"""

from __future__ import annotations

import io
from functools import cache
from typing import TYPE_CHECKING

from digests.model import Digest

if TYPE_CHECKING:
    from matplotlib.figure import Figure

INCIDENT_COLOUR = "#1f5fa6"
DOWNTIME_COLOUR = "#d1495b"
SIZE_INCHES = (12.0, 6.0)
DPI = 100


@cache
def _figure_class() -> type[Figure]:
    """Matplotlib, loaded on the first chart (a third of a second): commands that draw none,
    and the bot until its first digest, start without it."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure  # after choosing the backend

    return Figure


def digest_png(digest: Digest) -> bytes:
    """Two horizontal bar charts sharing the domain labels, biggest friction on top."""
    domains = [d for d in digest.overall.domains if d.incidents or d.downtime_hours][::-1]
    figure = _figure_class()(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    left, right = figure.subplots(1, 2, sharey=True)
    labels = [d.label for d in domains]
    panels = (
        (left, [d.incidents for d in domains], INCIDENT_COLOUR, "Incidents", "{:.0f}"),
        (right, [d.downtime_hours for d in domains], DOWNTIME_COLOUR, "Hours blocked", "{:.1f}"),
    )
    for axes, values, colour, title, fmt in panels:
        bars = axes.barh(labels, values, color=colour)
        axes.bar_label(bars, labels=[fmt.format(v) for v in values], padding=4, fontsize=11)
        axes.set_title(title, fontsize=13)
        axes.margins(x=0.15)
        axes.tick_params(axis="y", labelsize=12)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
    if not domains:
        left.text(0.5, 0.5, "No incidents this week", ha="center", transform=left.transAxes)
    section = digest.overall
    figure.suptitle(
        f"Friction by root-cause domain · {digest.label}\n"
        f"{section.incidents} incidents, {section.downtime_hours:.1f} h learners blocked",
        fontsize=14,
    )
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Title": f"Friction digest {digest.period}"})
    return out.getvalue()


def alt_text(digest: Digest) -> str:
    """What the chart shows, in words, for screen readers (Slack's alt_txt)."""
    parts = [
        f"{d.label}: {d.incidents} incidents, {d.downtime_hours:.1f} h"
        for d in digest.overall.domains
        if d.incidents
    ]
    return f"Friction by domain, {digest.period}. " + "; ".join(parts)
