"""Who may do what: configured ids, the TA user group (cached, with expiry), and message links."""

import pytest
from support.fake_slack import error
from support.slack_samples import LEAD, LEARNER, TA

from bot.authz import Authorizer, Role
from bot.config import People
from bot.ta.links import LinkError, MessageRef, message_link, parse_message_link

GROUP = "S0123TAS"
GROUP_TA = "U0789TA02"  # in the fake's group, not in the configured ids


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


def authorizer(clock, **people) -> Authorizer:
    return Authorizer(People(**people), ttl=300, retry=30, clock=clock)


def test_roles_from_ids_and_group(fake_slack, clock):
    authz = authorizer(clock, tas=[TA], ta_group=GROUP, leads=[LEAD])
    client = fake_slack.client()
    assert [authz.role(client, u) for u in (TA, GROUP_TA, LEAD, LEARNER)] == [
        Role.TA,
        Role.TA,
        Role.LEAD,
        Role.NONE,
    ]
    assert (Role.TA.can_change, Role.LEAD.can_change, Role.LEAD.can_view) == (True, False, True)
    assert not Role.NONE.can_view


def test_group_members_are_cached_until_they_expire(fake_slack, clock):
    authz = authorizer(clock, ta_group=GROUP)
    client = fake_slack.client()
    assert authz.role(client, GROUP_TA) is Role.TA
    fake_slack.usergroups[GROUP] = [TA]  # removed from the group in Slack

    clock.now += 299
    assert authz.role(client, GROUP_TA) is Role.TA  # still cached
    assert len(fake_slack.calls_to("usergroups.users.list")) == 1

    clock.now += 2
    assert authz.role(client, GROUP_TA) is Role.NONE
    assert authz.role(client, TA) is Role.TA
    assert len(fake_slack.calls_to("usergroups.users.list")) == 2


def test_without_a_group_slack_is_never_asked(fake_slack, clock):
    authz = authorizer(clock, tas=[TA])
    assert authz.role(fake_slack.client(), GROUP_TA) is Role.NONE
    assert fake_slack.calls_to("usergroups.users.list") == []


def test_when_slack_fails_the_last_known_members_stay_and_it_is_asked_again_later(
    fake_slack, clock
):
    authz = authorizer(clock, ta_group=GROUP)
    client = fake_slack.client()
    assert authz.role(client, GROUP_TA) is Role.TA
    clock.now += 301
    fake_slack.queue("usergroups.users.list", error("fatal_error"))
    assert authz.role(client, GROUP_TA) is Role.TA
    clock.now += 10
    assert authz.role(client, GROUP_TA) is Role.TA  # no new call before `retry`
    assert len(fake_slack.calls_to("usergroups.users.list")) == 2
    clock.now += 21
    fake_slack.usergroups[GROUP] = []
    assert authz.role(client, GROUP_TA) is Role.NONE
    assert len(fake_slack.calls_to("usergroups.users.list")) == 3


def test_an_unknown_group_grants_nobody(fake_slack, clock):
    authz = authorizer(clock, ta_group="S0NOSUCH")
    assert authz.role(fake_slack.client(), GROUP_TA) is Role.NONE


@pytest.mark.parametrize(
    ("link", "ref"),
    [
        (
            "https://cloudlabs.slack.com/archives/C0123HELP/p1731330000001100",
            MessageRef("C0123HELP", "1731330000.001100"),
        ),
        (
            "<https://cloudlabs.slack.com/archives/C0123HELP/p1731330120002200"
            "?thread_ts=1731330000.001100&cid=C0123HELP>",
            MessageRef("C0123HELP", "1731330120.002200", "1731330000.001100"),
        ),
        (
            "<https://cloudlabs.slack.com/archives/G0PRIVATE/p1731330000001100|a link>",
            MessageRef("G0PRIVATE", "1731330000.001100"),
        ),
        (
            "https://cloudlabs.slack.com/archives/C0123HELP/p1731330000001100"
            "?thread_ts=1731330000.001100&cid=C0123HELP",
            MessageRef("C0123HELP", "1731330000.001100"),
        ),
    ],
)
def test_message_links_are_read_as_slack_writes_them(link, ref):
    assert parse_message_link(link) == ref
    assert parse_message_link(link).root_ts == (ref.thread_ts or ref.ts)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("iam.passrole", "is not a Slack message link"),
        ("https://evil.example/archives/C0123HELP/p1731330000001100", "not a Slack message link"),
        ("https://cloudlabs.slack.com/archives/C0123HELP", "does not point at a message"),
        ("https://cloudlabs.slack.com/archives/C0123HELP/p17", "does not point at a message"),
        (
            "https://cloudlabs.slack.com/archives/C0123HELP/p1731330000001100?thread_ts=x",
            "malformed thread_ts",
        ),
    ],
)
def test_anything_else_is_refused_with_the_reason(text, why):
    with pytest.raises(LinkError, match=why):
        parse_message_link(text)


def test_links_are_written_as_slack_writes_them():
    link = message_link("https://cloudlabs.slack.com/", "C0123HELP", "1731330000.001100")
    assert link == "https://cloudlabs.slack.com/archives/C0123HELP/p1731330000001100"
    assert parse_message_link(link) == MessageRef("C0123HELP", "1731330000.001100")
