"""The TAs' and leads' workflow in Slack: `/friction` (`command`), the "Tag friction" shortcut
and modal (`tag_actions`, `tag_modal`), App Home (`home`, `report_blocks`), message links
(`links`), and tags as training data (`learning`). `workflow.register` adds it all to the Bolt
app; who may do what is `bot.authz`, the ids a TA may use `bot.labels`."""
