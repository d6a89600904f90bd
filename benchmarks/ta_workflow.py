"""Benchmark the TA workflow over loopback HTTP: how fast a TA's tag lands and a lead's home fills.

    python benchmarks/ta_workflow.py [--incidents 20000] [--rounds 200]

The app (build_app + the HTTP server) runs against the tests' fake Slack on 127.0.0.1 and a
SQLite ledger seeded with `--incidents` incidents this week. Printed: the slash command's ack
time (Slack allows 3 s), the time until its ephemeral reply reaches the response_url, the modal
submission's round trip (validation and the write happen before the answer), and the time from
`app_home_opened` to `views.publish`; medians and p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.fake_slack import FakeSlack  # noqa: E402
from support.slack_samples import TA, TEAM_ID, event_body, interaction, slash_command  # noqa: E402
from support.slack_signing import SlackSender  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.context import open_context  # noqa: E402
from bot.ingest.capture import CapturedMessage  # noqa: E402
from bot.slack.app import build_app  # noqa: E402
from bot.slack.server import HttpServer  # noqa: E402

SECRET = "bench-secret"
CHANNEL = "C0123HELP"
TEXT = "An error occurred (NoSuchBucket) when calling the PutObject operation"


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms"


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not answer in time")
        time.sleep(0.0005)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        config = Path(tmp) / "friction.toml"
        config.write_text(f'[people]\ntas = ["{TA}"]\n')
        settings = Settings(
            FRICTION_SALT="bench",
            FRICTION_CONFIG=config,
            SLACK_SIGNING_SECRET=SECRET,
            **fake.environ(socket_mode=False),
        )
        context = open_context(settings, f"sqlite:///{tmp}/ledger.db")
        start = time.time() - 3600
        timestamps = [f"{start + i * 0.01:.6f}" for i in range(args.incidents)]
        context.ingestor.add_many(
            CapturedMessage(TEAM_ID, CHANNEL, ts, TEXT, user_id=f"U{i % 500}")
            for i, ts in enumerate(timestamps)
        )
        server = HttpServer(
            build_app(context), lambda: (True, {}), signing_secret=SECRET, host="127.0.0.1", port=0
        )
        server.start()
        sender = SlackSender(f"http://127.0.0.1:{server.port}/slack/events", SECRET)
        acks, replies, submits, homes = [], [], [], []
        try:
            for i in range(args.rounds):
                ts = timestamps[i]
                link = f"https://cloudlabs.slack.com/archives/{CHANNEL}/p{ts.replace('.', '')}"
                hook = f"/hooks/bench/{i}"
                form = slash_command(f"tag {link} iam.passrole", response_url=fake.base_url + hook)
                began = time.perf_counter()
                assert sender.command(form).status == 200
                acks.append(time.perf_counter() - began)
                wait_for(lambda hook=hook: any(p == hook for p, _ in fake.hooks))
                replies.append(time.perf_counter() - began)

                view = interaction("view_submission")["view"]
                view["private_metadata"] = f'{{"channel": "{CHANNEL}", "ts": "{ts}"}}'
                picked = view["state"]["values"]["signature"]["signature_select"]
                picked["selected_option"]["value"] = "iam.trust_policy"
                began = time.perf_counter()
                answer = sender.interaction(interaction("view_submission", view=view))
                assert answer.status == 200 and answer.body == b"", answer.body
                submits.append(time.perf_counter() - began)

            for i in range(min(args.rounds, 50)):
                began = time.perf_counter()
                sender.event(event_body("app_home_opened", user=TA))
                wait_for(lambda n=i + 1: len(fake.calls_to("views.publish")) >= n)
                homes.append(time.perf_counter() - began)
        finally:
            server.close()

    print(f"TA workflow over loopback HTTP, SQLite ledger of {args.incidents} incidents")
    print(f"/friction tag: ack            {percentiles(acks)}   ({len(acks)} commands)")
    print(f"/friction tag: reply posted   {percentiles(replies)}")
    print(f"modal submission round trip   {percentiles(submits)}")
    print(f"App Home: opened -> published {percentiles(homes)}   ({len(homes)} opens)")


if __name__ == "__main__":
    main()
