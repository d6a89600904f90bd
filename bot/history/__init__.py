"""History and hand-off: a Slack export read and imported (`export_reader`, `importer`), the Web
API backfill (`backfill`), the ledger exported as Parquet/CSV (`export`), a person forgotten
(`forget`), and the progress bar long runs show (`progress`)."""
