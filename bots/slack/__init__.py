"""The Slack channel (slack-bolt, async): one Bolt app for HTTP (`POST /webhooks/slack/events`) and Socket Mode.

- Clients book by direct message with the same conversation as every channel
  (`conversation`, rendered by `messages`).
- Providers get `/agenda [day]`, `/block <time>`, the App Home and buttons on each
  appointment (`provider_listeners`, `agenda_views`, `provider_replies`), over the core's
  `core.booking.provider_day`.
- `SlackSender` is the outbound `Sender` for the `Outbox` (reminders, notices).
"""
from bots.slack.app import SlackNotConfigured, create_slack_app
from bots.slack.messages import CHANNEL
from bots.slack.sender import SlackSender
from bots.slack.socket_mode import (
           run_socket_mode,
           serve_socket_mode,
           socket_mode_handler,
)

__all__ = ["CHANNEL", "SlackNotConfigured", "SlackSender", "create_slack_app", "run_socket_mode",
           "serve_socket_mode", "socket_mode_handler"]
