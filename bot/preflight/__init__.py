"""The learner's pre-flight tool: the plan of checks ordered by what blocked the last cohort
(`plan`), run against AWS with boto3 (`checks`, the `aws` extra) or printed as a shell script
(`script`). It needs no Slack."""
