"""`friction`, the command line: `main` assembles the app; one module per command group
(`ledger`, `classify`, `digest`, `history`, `fixes`, `learn`, `run`, `tags`, `preflight`) and
the shared `options` and `errors` they import."""
