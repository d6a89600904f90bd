"""manifest.yml installs the app Slack needs: the right features, exactly the needed scopes.

Slack rejects a manifest over its field limits, and an app missing a scope fails at run time
with ``missing_scope``; both are cheaper to catch here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from fake_slack import MANIFEST, METHOD_SCOPES, bot_scopes_from_manifest, scopes_for

# The bot scope each subscribed event needs (Slack refuses the subscription without it).
EVENT_SCOPES = {
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "reaction_added": "reactions:read",
    "reaction_removed": "reactions:read",
    "app_home_opened": None,
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_features_the_bot_serves(manifest: dict[str, Any]) -> None:
    features = manifest["features"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is False
    [command] = features["slash_commands"]
    assert command["command"] == "/friction" and command["usage_hint"]
    [shortcut] = features["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", "tag_friction")
    assert shortcut["name"] == "Tag friction"
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["org_deploy_enabled"] is False
    assert set(settings["event_subscriptions"]["bot_events"]) == set(EVENT_SCOPES)


def test_within_slacks_field_limits(manifest: dict[str, Any]) -> None:
    info = manifest["display_information"]
    assert len(info["name"]) <= 35
    assert len(info["description"]) <= 140
    assert 174 <= len(info["long_description"]) <= 4000
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", info["background_color"])
    assert len(manifest["features"]["bot_user"]["display_name"]) <= 80
    for shortcut in manifest["features"]["shortcuts"]:
        assert len(shortcut["description"]) <= 150
    for command in manifest["features"]["slash_commands"]:
        assert len(command["description"]) <= 2000 and len(command["usage_hint"]) <= 1000


def test_scopes_are_exactly_what_the_calls_and_events_need(manifest: dict[str, Any]) -> None:
    """Every bot scope is used by a Web API method, an event or the command, and no more.

    The methods are those the fake Slack serves, which are the ones the bot calls.
    """
    granted = bot_scopes_from_manifest()
    needed = {"commands"} | {s for s in EVENT_SCOPES.values() if s}
    for method in METHOD_SCOPES:
        if method != "apps.connections.open":  # app-level token, not a bot scope
            needed |= scopes_for(method)
    assert granted == needed
    assert len(manifest["oauth_config"]["scopes"]["bot"]) == len(granted)  # no duplicates
