"""Friction Ledger's application: everything that talks to Slack, the one ingest path, the CLI.

Packages, by concern (imports run down this list, never back up):

- `cli`: the `friction` command line, one module per command group.
- `slack`: the Bolt app, Socket Mode and HTTP mode, the spool, catch-up, the scheduler.
- `ta`: `/friction`, the "Tag friction" shortcut and modal, App Home.
- `remediation`: hints in learners' threads, recorded fixes.
- `history`: export import, Web API backfill, Parquet/CSV export, forgetting a person.
- `ingest`: capture, redaction and pseudonymisation, the one ingest path.
- `preflight`: the learner's pre-flight checks (boto3, no Slack).

Shared by all: `config` (settings), `context` (the wiring), `authz` (who may do what),
`labels` (the ids a TA may use), `logs` (logfmt on stderr).
"""
