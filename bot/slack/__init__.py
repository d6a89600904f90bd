"""The running bot's Slack side: the Bolt app and its capture listener (`app`, `events`), Socket
Mode and HTTP mode (`live`, `server`, `socket_watch`), the local spool that acks before writing
(`spool`), catch-up from channel history (`reconcile`, `conversations`) and the in-process
scheduler (`schedule`)."""
