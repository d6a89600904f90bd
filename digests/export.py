"""The digest as data files: JSON (everything) and CSV (one row per cohort and domain)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from datetime import datetime

from digests.model import Digest
from digests.report import DOMAIN_COLUMNS

CSV_COLUMNS = (
    "period",
    "cohort",
    *DOMAIN_COLUMNS,
    "previous_incidents",
    "previous_downtime_hours",
    "change",
)
OVERALL = "all"  # the cohort column of the overall rows


def digest_json(digest: Digest) -> str:
    return json.dumps(asdict(digest), indent=2, default=datetime.isoformat)


def digest_csv(digest: Digest) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for section in [digest.overall, *digest.cohorts]:
        for line in section.domains:
            row = {
                **asdict(line),
                "period": digest.period,
                "cohort": section.cohort or OVERALL,
                "change": line.change,
            }
            writer.writerow(row[c] for c in CSV_COLUMNS)
    return out.getvalue()
