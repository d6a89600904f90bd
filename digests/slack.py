"""Talking to Slack for digests and alerts: permalinks, posting, and the chart upload."""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from digests.blocks import digest_blocks, fallback_text
from digests.chart import alt_text, digest_png
from digests.model import Digest, Linker
from storage.digest_queries import ThreadRef

log = logging.getLogger(__name__)

# What a failed Web API call raises: Slack's error answers, and the network's.
SLACK_FAILURES = (SlackClientError, OSError)


def permalinks(client: WebClient, fallback: Linker) -> Linker:
    """Links from chat.getPermalink; the archive URL built by `fallback` when the call fails."""

    @cache
    def link(ref: ThreadRef) -> str:
        try:
            return client.chat_getPermalink(channel=ref.channel_id, message_ts=ref.ts)["permalink"]
        except SLACK_FAILURES as exc:
            log.warning("chat.getPermalink failed, building the link", extra={"error": str(exc)})
            return fallback(ref)

    return link


def post_message(client: WebClient, channel: str, text: str, **fields: Any) -> str:
    """Post and return the message's ts. Links and media are not unfurled: digests, alerts
    and nudges point at threads (a digest at many), a preview of each would bury the text."""
    response = client.chat_postMessage(
        channel=channel, text=text, unfurl_links=False, unfurl_media=False, **fields
    )
    return response["ts"]


def post_digest(client: WebClient, channel: str, digest: Digest) -> tuple[str, str | None]:
    """Post the digest, then its chart in the thread; returns (ts, what failed, if anything).

    A chart that fails to upload does not un-post the digest: the failure is reported instead.
    """
    ts = post_message(client, channel, fallback_text(digest), blocks=digest_blocks(digest))
    try:
        client.files_upload_v2(
            channel=channel,
            thread_ts=ts,
            file=digest_png(digest),
            filename=f"friction-{digest.period}.png",
            title=f"Friction by domain, {digest.period}",
            alt_txt=alt_text(digest)[:1000],
            request_file_info=False,
        )
    except SLACK_FAILURES as exc:
        log.warning("digest chart upload failed", extra={"error": str(exc)})
        return ts, f"chart upload failed: {exc}"
    return ts, None
