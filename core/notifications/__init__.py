"""Notifications: what to send when, over each person's own channel.

- `planner`: booking events -> notices for the client and provider, and the reminders of the
  appointment's current version (`EventRelay` only queues the event, in the request).
- `delivery`: one notification claimed, checked against the appointment, sent, recorded.
- `agenda`: providers' daily agendas, due at their local time; `admin`: failed ones, requeue.
- `texts`, `calendar`, `timing`: what is said, the .ics, when (offsets, SMS quiet hours).
- `sender`: the `Sender` port and the `Outbox`; `ports`: the job queue and agenda poster ports.
The job queue is RQ (`worker.RqJobs`); nothing here imports it.
"""
