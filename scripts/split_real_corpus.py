"""Merge the gathered real-text threads into `dev.jsonl` and `test.jsonl`, split by source thread.

Each gatherer wrote its threads to `tests/data/real/parts/<area>.jsonl`; a thread found by two
gatherers is kept once (the longer copy). A thread goes to `test` when the SHA-256 of its source
address is divisible by 3: fixed by the address, not by anyone's choice, so the split is the same
on every run and nobody picks the test set. Prints counts only: the test split is not to be read.

    python scripts/split_real_corpus.py
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

REAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "real"


def is_test(source: str) -> bool:
    return int(hashlib.sha256(source.encode()).hexdigest(), 16) % 3 == 0


def main() -> None:
    threads: dict[str, dict] = {}
    for part in sorted((REAL / "parts").glob("*.jsonl")):
        for line in part.read_text().splitlines():
            if not line.strip():
                continue
            thread = json.loads(line)
            thread["gathered"] = part.stem
            kept = threads.get(thread["source"])
            if kept is None or len(thread["messages"]) > len(kept["messages"]):
                threads[thread["source"]] = thread
    splits: dict[str, list[dict]] = {"dev": [], "test": []}
    for source in sorted(threads):
        splits["test" if is_test(source) else "dev"].append(threads[source])
    for name, rows in splits.items():
        with (REAL / f"{name}.jsonl").open("w") as out:
            for thread in rows:
                out.write(json.dumps(thread, ensure_ascii=False) + "\n")
        messages = sum(len(t["messages"]) for t in rows)
        incidents = sum(m["is_incident"] for t in rows for m in t["messages"])
        print(f"{name}: {len(rows)} threads, {messages} messages, {incidents} incidents")


if __name__ == "__main__":
    main()
