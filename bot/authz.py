"""Who may do what: TAs change the ledger, leads and TAs read it, everyone else neither.

TAs are the configured user ids plus the members of the configured user group. The group's
members come from `usergroups.users.list`, kept for `ttl` seconds so a busy channel does not
call Slack on every command, yet someone removed from the group loses access within minutes.
When Slack cannot answer, the last known members stay in force and the call is retried
after `retry` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from enum import StrEnum

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.config import People

log = logging.getLogger(__name__)


class Role(StrEnum):
    TA = "ta"
    LEAD = "lead"
    NONE = "none"

    @property
    def can_change(self) -> bool:
        """May tag, dismiss, resolve and re-open."""
        return self is Role.TA

    @property
    def can_view(self) -> bool:
        """May see stats, digest previews and the dashboard."""
        return self is not Role.NONE


class Authorizer:
    """Answers `role(client, user_id)`; one per app, shared by every request."""

    def __init__(
        self,
        people: People,
        *,
        ttl: float = 300.0,
        retry: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.people = people
        self.ttl = ttl
        self.retry = retry
        self.clock = clock
        self._members: frozenset[str] = frozenset()
        self._expires = float("-inf")
        self._lock = threading.Lock()

    def role(self, client: WebClient, user_id: str) -> Role:
        if user_id in self.people.tas or user_id in self.group_members(client):
            return Role.TA
        if user_id in self.people.leads:
            return Role.LEAD
        return Role.NONE

    def group_members(self, client: WebClient) -> frozenset[str]:
        """The TA group's members, from cache while it is fresh."""
        group = self.people.ta_group
        if not group:
            return frozenset()
        with self._lock:
            if self.clock() < self._expires:
                return self._members
            try:
                users = client.usergroups_users_list(usergroup=group)["users"]
            except (SlackClientError, OSError) as exc:  # an error answer, or no answer
                log.warning(
                    "cannot list the TA group; keeping the last known members",
                    extra={"usergroup": group, "error": str(exc)},
                )
                self._expires = self.clock() + self.retry
                return self._members
            self._members = frozenset(users)
            self._expires = self.clock() + self.ttl
            return self._members
