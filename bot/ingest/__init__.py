"""The one ingest path: a source's payload becomes a `CapturedMessage` (`capture`), its text is
redacted and its author pseudonymised (`privacy`), classified (`reading`), and written to the
ledger with its thread's incident (`ingestor`). Every source goes through here."""
