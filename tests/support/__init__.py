"""What the tests share: fakes of Slack and AWS, signed requests, a throwaway PostgreSQL, the
CLI runner, the TA app over HTTP, ledgers with known figures, a TA's tag made by hand."""
