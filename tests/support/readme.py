"""The README, read by the tests that keep it true: its sections, code blocks and tables."""

import re
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"


def section(title: str) -> str:
    """The text of the `## title` section, up to the next `## ` heading."""
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def code_blocks(text: str, language: str = "") -> list[str]:
    """The fenced code blocks of `text` tagged with `language` ("" for untagged ones)."""
    blocks, current, tag = [], None, ""
    for line in text.splitlines(keepends=True):
        if line.startswith("```") and current is None:
            current, tag = [], line[3:].strip()
        elif line.startswith("```"):
            if tag == language:
                blocks.append("".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def first_cells(text: str) -> list[str]:
    """The first cell of each row of the Markdown tables in `text`, header and rule left out."""
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    cells = [re.split(r"(?<!\\)\|", row)[1].strip() for row in rows]
    return [cell for cell in cells[1:] if not set(cell) <= set("- ")]
