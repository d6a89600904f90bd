"""Turn Slack-flavoured text into plain text the matcher can read.

Slack escapes `<`, `>` and `&`, wraps links as `<url|label>`, mentions as `<@U123>`, and learners
paste errors inside code fences with hard line wraps. None of that should change which failure
a message reports, so it is all flattened here, once, before matching.
"""

from __future__ import annotations

import re

_SLACK_LINK = re.compile(r"<([^<>|\s]*)(?:\|([^<>]*))?>")
_QUOTES = tuple(zip("\u2018\u2019\u00b4\u02bc\u201c\u201d", "''''\"\"", strict=True))
"""Typographic quotes (curly ones, an acute accent for an apostrophe) as ASCII ones: phones and
word processors write them, and the catalog, written in ASCII, reads "don't" and "x"."""


def _link(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):
        return "@user"
    if target.startswith("#"):
        return f"#{label or 'channel'}"
    if target.startswith("!"):
        return f"@{(label or target[1:]).split('^')[0]}"
    return label or target


def normalize(text: str) -> str:
    """Flatten Slack markup, code fences and line wraps into single-spaced plain text."""
    if "<" in text:
        text = _SLACK_LINK.sub(_link, text)
    if "&" in text:
        text = text.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")
    if not text.isascii():
        # A replace per quote present: str.translate costs 10 us on a paragraph with an ellipsis.
        for typographic, plain in _QUOTES:
            if typographic in text:
                text = text.replace(typographic, plain)
    return " ".join(text.replace("`", " ").split())
