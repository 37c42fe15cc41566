"""Notifications: what to send when, over each person's own channel.

- `planner`: booking events -> notices for the client and provider, and the reminders of the
  appointment's current version; `relay`: the outbox's events to the job queue (in the request
  when it can, else by the worker); `sweep`: jobs Redis lost queued again, missing reminders planned.
- `delivery`: one notification claimed, checked against the appointment, sent, recorded.
- `agenda`: providers' daily agendas, due at their local time; `weekly`: their Monday summary of the
  week just ended; `admin`: failed ones, requeue.
- `texts`, `calendar`, `timing`: what is said, the .ics, when (offsets, SMS quiet hours).
- `sender`: the `Sender` port and the `Outbox`; `ports`: the job queue and agenda poster ports.
The job queue is RQ (`slotline.jobs.RqJobs`); nothing here imports it.
"""
