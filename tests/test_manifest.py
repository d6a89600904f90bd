"""manifest.yml installs the app Slack needs: the right features, exactly the needed scopes.

Slack rejects a manifest over its field limits, and an app missing a scope fails at run time
with ``missing_scope``; both are cheaper to catch here.
"""

from __future__ import annotations

import ast
import inspect
import re
from typing import Any, TypeGuard

import pytest
import yaml
from slack_bolt import App
from slack_sdk import WebClient
from support.fake_slack import (
    MANIFEST,
    METHOD_SCOPES,
    FakeSlack,
    bot_scopes_from_manifest,
    scopes_for,
)

from bot.config import Settings
from bot.context import open_context
from bot.slack.app import build_app

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


# -- The app and the code against the manifest ---------------------------------------------

ROOT = MANIFEST.parent
SLACK_CALLERS = ("bot", "digests")  # the packages that talk to Slack
# Each "message" listener receives the message events the manifest subscribes to.
EVENT_SUBSCRIPTIONS = {"message": {"message.channels", "message.groups"}}
INTERACTIVITY = {"action", "view_submission", "view_closed", "options", "block_action"}


def registered_listeners(app: App) -> set[tuple[str, str]]:
    """(kind, what) of every listener: ("event", "message"), ("command", "/friction"), ...

    Bolt keeps what a listener was registered for in the closure of its primary matcher
    (`slack_bolt.listener_matcher.builtins`); reading it is the only complete inventory.
    """
    found = set()
    for listener in app._listeners:
        func = listener.matchers[0].func
        kind = func.__qualname__.split(".<locals>")[0]
        [value] = [cell.cell_contents for cell in func.__closure__ or ()]
        found.add((kind, value if isinstance(value, str) else str(value)))
    return found


@pytest.fixture(scope="module")
def listeners(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str]]:
    with FakeSlack(scopes=bot_scopes_from_manifest()) as fake:
        url = f"sqlite:///{tmp_path_factory.mktemp('manifest')}/ledger.db"
        settings = Settings(SLACK_BOT_TOKEN=fake.bot_token, SLACK_API_URL=fake.api_url)
        return registered_listeners(build_app(open_context(settings, url), client=fake.client()))


def test_every_registered_listener_is_in_the_manifest_and_back(
    manifest: dict[str, Any], listeners: set[tuple[str, str]]
) -> None:
    events = set()
    for kind, what in listeners:
        if kind == "event":
            events |= EVENT_SUBSCRIPTIONS.get(what, {what})
    assert events == set(manifest["settings"]["event_subscriptions"]["bot_events"])
    commands = {what for kind, what in listeners if kind == "command"}
    assert commands == {c["command"] for c in manifest["features"]["slash_commands"]}
    shortcuts = {what for kind, what in listeners if kind in ("shortcut", "message_shortcut")}
    assert shortcuts == {s["callback_id"] for s in manifest["features"]["shortcuts"]}
    known = {"event", "command", "shortcut", "message_shortcut", *INTERACTIVITY}
    assert {kind for kind, _ in listeners} <= known
    if any(kind in INTERACTIVITY for kind, _ in listeners):
        assert manifest["settings"]["interactivity"]["is_enabled"] is True
    if ("event", "app_home_opened") in listeners:
        assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def _api_methods(client_method: str) -> set[str]:
    """The Web API methods a WebClient method calls, following helpers like files_upload_v2."""
    source = inspect.getsource(getattr(WebClient, client_method))
    methods = set(re.findall(r'api_call\(\s*"([\w.]+)"', source))
    for helper in set(re.findall(r"self\.(\w+)\(", source)) - {client_method, "api_call"}:
        if hasattr(WebClient, helper) and helper[0].islower() and "_" in helper:
            methods |= _api_methods(helper)
    return methods


def _is_api_call(node: ast.AST) -> TypeGuard[ast.Call]:
    """`client.api_call("method", ...)`, the method named by a constant."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "api_call"
        and len(node.args) > 0
        and isinstance(node.args[0], ast.Constant)
    )


def web_api_calls() -> dict[str, set[str]]:
    """Every Web API method our code calls (client.<method>(...), or passes on as
    client.<method>, or api_call("...")) -> where."""
    calls: dict[str, set[str]] = {}
    for package in SLACK_CALLERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                # client.<method> is an Attribute, called here or passed on; only api_call
                # needs its Call, for the method named in its first argument.
                if _is_api_call(node):
                    methods = {node.args[0].value}
                elif (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.ctx, ast.Load)
                    and node.attr != "api_call"
                    and callable(getattr(WebClient, node.attr, None))
                ):
                    methods = _api_methods(node.attr)
                else:
                    continue
                for method in methods:
                    calls.setdefault(method, set()).add(str(path.relative_to(ROOT)))
    return calls


def test_every_web_api_method_the_code_calls_is_covered_by_a_scope() -> None:
    calls = web_api_calls()
    assert {"conversations.history", "conversations.replies", "conversations.info"} <= set(calls)
    granted = bot_scopes_from_manifest()
    for method, where in sorted(calls.items()):
        assert method in METHOD_SCOPES, f"{method} (called in {where}) is unknown to the fake"
        if method != "apps.connections.open":  # the app-level token's own scope
            assert scopes_for(method) <= granted, f"{method} (in {where}) needs a scope"
