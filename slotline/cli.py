"""`slotline`: run, web, worker, migrate, load, report, export, erase."""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from config.settings import Settings, get_settings
from slotline.logs import configure_logging, redact, redact_handlers_of

DEMO_FILE = Path(__file__).resolve().parents[1] / "config" / "demo.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="slotline", description="Chat-first appointment booking.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("run", "migrate, then the web server, worker and scheduler together"),
                       ("web", "migrate, then the web server alone")):
        cmd = commands.add_parser(name, help=text)
        cmd.add_argument("--host", default="127.0.0.1")
        cmd.add_argument("--port", type=int, default=8000)
        if name == "web":  # `run` is the one-process embedded default
            cmd.add_argument("--workers", type=_process_count, default=1, metavar="N",
                             help="serve from N processes (N > 1 needs SLOTLINE_DATABASE_URL and SLOTLINE_REDIS_URL)")
    commands.add_parser("worker", help="an RQ worker with the scheduler on")
    commands.add_parser("chat", help="talk to the booking assistant in the terminal")
    commands.add_parser("telegram-poll", help="serve the Telegram bot by polling (no public URL needed)")
    commands.add_parser("slack", help="serve the Slack app over Socket Mode (no public URL needed)")
    commands.add_parser("migrate", help="bring the database schema up to date")
    notes = commands.add_parser("notifications", help="failed notifications: list them, send them again")
    notes.add_argument("--failed", action="store_true", help="list failed (or interrupted) notifications")
    notes.add_argument("--requeue", type=int, metavar="ID", action="append", default=[],
                       help="send notification ID again (repeatable)")
    notes.add_argument("--requeue-failed", action="store_true", help="send every failed notification again")
    load = commands.add_parser("load", help="load services, providers and hours from a YAML file")
    load.add_argument("file", type=Path)
    token = commands.add_parser("token", help="users' API tokens").add_subparsers(dest="token_command", required=True)
    issue = token.add_parser("create", help="issue a user an API token and print it (shown this once)")
    issue.add_argument("--user", dest="user_id", type=int, required=True, metavar="ID", help="the user it acts as")
    issue.add_argument("--name", help="what the token is for")
    issue.add_argument("--expires", type=_instant, metavar="ISO8601", help="refused from then on (default: never)")
    report = commands.add_parser("report", help="bookings, occupancy, cancellations, no-shows, revenue and busy hours")
    report.add_argument("--from", dest="first", type=_date, metavar="YYYY-MM-DD",
                        help="the first date (default: 29 days before --to)")
    report.add_argument("--to", dest="last", type=_date, metavar="YYYY-MM-DD", help="the last date (default: today)")
    for name, text in (("export", "print everything held about a user as JSON"),
                       ("erase", "erase a user's personal data (appointments stay, anonymised)")):
        commands.add_parser(name, help=text).add_argument("user_id", type=int, metavar="USER_ID")
    when = commands.add_parser("when", help="read time phrases on stdin, one JSON answer a line")
    when.add_argument("--now", help="the reference time, ISO 8601 (default: the current time)")
    when.add_argument("--tz", help="the client's zone: an IANA name or +HH:MM (default: --now's offset, else UTC)")
    when.add_argument("--latent", action="store_true",
                      help="each line answers 'what time?': read bare numbers such as '7' as times too")
    args = parser.parse_args(argv)
    if args.command == "when":
        return cmd_when(args)
    quiet = args.command in ("chat", "export", "erase")  # log lines would interleave with the conversation
    settings = get_settings()
    configure_logging(settings, level=logging.WARNING if quiet else logging.INFO)
    handler = {"run": cmd_run, "web": cmd_web, "worker": cmd_worker, "migrate": cmd_migrate, "load": cmd_load,
               "token": cmd_token,
               "chat": cmd_chat, "telegram-poll": cmd_telegram_poll, "notifications": cmd_notifications,
               "slack": cmd_slack, "report": cmd_report, "export": cmd_privacy, "erase": cmd_privacy}
    return handler[args.command](settings, args) or 0


def cmd_migrate(settings: Settings, _args=None) -> int:
    from core.db.migrate import upgrade

    upgrade(settings.sqlalchemy_url)
    print(f"database is up to date: {_safe_url(settings.sqlalchemy_url)}")
    return 0


def cmd_load(settings: Settings, args) -> int:
    from core.booking.business_file import load_file
    from core.booking.errors import BookingError
    from core.db.session import UnitOfWork, make_engine, make_session_factory

    if not args.file.is_file():
        print(f"slotline load: no such file: {args.file}", file=sys.stderr)
        return 2
    cmd_migrate(settings)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with UnitOfWork(make_session_factory(engine), write=True) as uow:
            counts = load_file(uow.session, args.file)
            uow.commit()
    except BookingError as exc:
        print(f"slotline load: {args.file}: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"loaded {args.file}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    return 0


def cmd_when(args) -> int:
    """`slotline when`: one phrase a line in, one JSON object a line out."""
    import json
    from datetime import datetime

    from core.timeparse import parse_time, zone_from

    try:
        now = datetime.fromisoformat(args.now) if args.now else None
        zone = zone_from(args.tz, now.tzinfo if now else None)
    except (ValueError, KeyError) as exc:
        print(f"slotline when: {exc}", file=sys.stderr)
        return 2
    now = now or datetime.now(zone)
    empty = dict.fromkeys(("kind", "start", "end", "grain"))
    for line in sys.stdin:
        phrase = line.rstrip("\r\n")
        value = parse_time(phrase, now=now, tz=zone, latent=args.latent)
        print(json.dumps({"phrase": phrase, **(value.as_json() if value else empty)}), flush=True)
    return 0


def _date(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-30 (YYYY-MM-DD)") from None


def _instant(text: str):
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time with a zone offset, like 2026-12-31T00:00:00Z")
    return moment


def cmd_token(settings: Settings, args) -> int:
    """`slotline token create --user ID [--name N] [--expires ISO]`: the token alone on stdout (shown this
    once: only its hash is kept), what it is on stderr. Exit 1 (and why) for an unknown user or a past expiry."""
    from core.booking.errors import BookingError
    from core.booking.tokens import ApiTokens
    from core.clock import utcnow
    from core.db.migrate import upgrade
    from core.db.session import make_engine, make_session_factory

    upgrade(settings.sqlalchemy_url)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        issued = ApiTokens(make_session_factory(engine), clock=utcnow).issue(
            args.user_id, name=args.name, expires_at=args.expires, actor="cli")
    except BookingError as exc:
        print(f"slotline token create: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(issued.token)
    expiry = issued.record.expires_at.isoformat() if issued.record.expires_at else "never"
    print(f"token {issued.record.id} for user {args.user_id} (expires: {expiry}); it is shown only now: "
          f"send it as `Authorization: Bearer <token>`", file=sys.stderr)
    return 0


def cmd_report(settings: Settings, args) -> int:
    """`slotline report [--from D] [--to D]`: the summary and the heatmap as tables (no Redis needed)."""
    from rich.console import Console

    from core.booking.errors import BookingError
    from core.booking.reports import Reports
    from core.clock import utcnow
    from core.db.migrate import upgrade
    from core.db.session import make_engine, make_session_factory
    from slotline.report_view import show

    upgrade(settings.sqlalchemy_url)  # quietly: stdout is the report
    engine = make_engine(settings.sqlalchemy_url)
    try:
        reports = Reports(make_session_factory(engine), utcnow)
        summary, heat = reports.summary(args.first, args.last), reports.heatmap(args.first, args.last)
    except BookingError as exc:
        print(f"slotline report: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    show(Console(), summary, heat)
    return 0


def cmd_privacy(settings: Settings, args) -> int:
    """`slotline export USER_ID` prints what is held about the user as JSON; `slotline erase USER_ID` erases
    it without asking and prints what was removed. Exit 1 (and why) for an unknown user or a refusal."""
    import json

    from core.booking.errors import BookingError
    from core.db.migrate import upgrade
    from slotline.bootstrap import build
    from webhooks.api.privacy import privacy_of

    upgrade(settings.sqlalchemy_url)
    container = build(settings)
    try:
        privacy = privacy_of(container)
        try:
            if args.command == "export":
                print(json.dumps(privacy.export(args.user_id, actor="cli"), indent=2, ensure_ascii=False))
                return 0
            erasure = privacy.erase(args.user_id, actor="cli")
        except BookingError as exc:
            print(f"slotline {args.command}: {exc}", file=sys.stderr)
            return 1
    finally:
        container.close()
    removed = {what: n for what, n in erasure.removed.items() if n}
    print(f"user {erasure.user_id} is now {erasure.name!r}")
    for what, n in removed.items():
        print(f"  {what}: {n}")
    if not removed:
        print("  nothing left to remove (erased before)")
    for label, ids in (("also erased, booked for by them", erasure.dependants_erased),
                       ("unlinked from them", erasure.dependants_unlinked)):
        if ids:
            print(f"  {label}: {', '.join(map(str, ids))}")
    return 0


def cmd_worker(settings: Settings, _args=None) -> int:
    import worker

    worker.main(settings)
    return 0


def cmd_notifications(settings: Settings, args) -> int:
    """`slotline notifications --failed | --requeue ID | --requeue-failed` (the list is the default)."""
    from core.booking.errors import NotFound
    from slotline.bootstrap import build

    container = build(settings)
    try:
        notifications = container.notifications
        if notifications is None:
            print("slotline notifications: needs Redis (SLOTLINE_REDIS_URL, or the embedded one)", file=sys.stderr)
            return 2
        try:
            requeued = [notifications.requeue(i) for i in args.requeue]
        except (NotFound, ValueError) as exc:
            print(f"slotline notifications: {exc}", file=sys.stderr)
            return 2
        if args.requeue_failed:
            requeued += notifications.requeue_failed()
        for row in requeued:
            print(f"requeued {row.id} ({row.kind}, appointment {row.appointment_id})")
        if args.failed or not requeued:
            _print_failed(notifications.failed())
            waiting, since = notifications.outbox_backlog()
            if waiting:  # not failed: they go out once the worker reaches Redis again
                print(f"{waiting} booking event(s) wait for the job queue (Redis away, or no worker running), "
                      f"the oldest since {since:%Y-%m-%d %H:%M} UTC")
    finally:
        container.close()
    return 0


def _print_failed(rows) -> None:
    if not rows:
        print("no failed notifications")
        return
    print(f"{'ID':>6}  {'KIND':<18} {'APPT':>6}  {'CHANNEL':<8} {'STATUS':<8} {'TRIES':>5}  ERROR")
    for row in rows:
        error = row.error or ("interrupted mid-send: it may or may not have gone out" if row.status == "sending"
                              else "")
        print(f"{row.id:>6}  {row.kind:<18} {row.appointment_id or '-':>6}  {row.channel or '-':<8} "
              f"{row.status:<8} {row.attempts:>5}  {error}")


def cmd_web(settings: Settings, args, *, with_worker: bool = False) -> int:
    from slotline.bootstrap import build, connect_redis, embedded_redis_url

    if getattr(args, "workers", 1) > 1:
        return _web_processes(settings, args)
    cmd_migrate(settings)
    _seed_demo_if_empty(settings)
    redis = connect_redis(settings)
    if not settings.redis_url:
        # Share the embedded Redis with the worker process through its socket.
        os.environ["SLOTLINE_REDIS_URL"] = embedded_redis_url(redis)
    container = build(settings, redis=redis)
    from webhooks.app import create_app

    app = create_app(container)
    _configure_channels(settings)
    worker = _start_worker() if with_worker else None
    _print_welcome(settings, args)
    try:
        _serve(app, args.host, args.port)
    finally:
        if worker is not None:
            worker.stop(timeout=10)
        container.close()
    return 0


def _process_count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (1 or more)")
    return int(text)


def _web_processes(settings: Settings, args) -> int:
    """`slotline web --workers N`: migrate and tell the platforms where we are once, here; then N
    uvicorn processes serve one port, each with its own container (`slotline/web_processes.py`)."""
    from slotline import web_processes

    missing = [name for name, embedded in (("SLOTLINE_DATABASE_URL (PostgreSQL)", _is_sqlite(settings)),
                                           ("SLOTLINE_REDIS_URL", not settings.redis_url)) if embedded]
    if missing:
        print(f"slotline web --workers {args.workers}: several web processes must share a database server and "
              f"a Redis server, not the embedded SQLite file and Redis: set {' and '.join(missing)}. For one "
              "process on the embedded ones: `slotline run`, or `slotline web` without --workers.", file=sys.stderr)
        return 2
    cmd_migrate(settings)
    _seed_demo_if_empty(settings)
    web_processes.check()
    _configure_channels(settings)
    _print_welcome(settings, args)
    web_processes.serve(args.host, args.port, args.workers)
    return 0


def _is_sqlite(settings: Settings) -> bool:
    from sqlalchemy.engine import make_url

    return make_url(settings.sqlalchemy_url).get_backend_name() == "sqlite"


def _print_welcome(settings: Settings, args) -> None:
    base = f"http://{args.host}:{args.port}"
    print(f"\nSlotline is starting on {base}\n  API docs: {base}/docs\n"
          f"  web chat: {base}/chat  (API: POST {base}/api/v1/chat; or `slotline chat` in a terminal)\n"
          f"  {_admin_token_line(settings)}\n", flush=True)


def _admin_token_line(settings: Settings) -> str:
    """The admin token itself only the once it is generated; after that, where it is kept."""
    token, generated = settings.admin_token_with_origin()
    redact(token)  # shown on the console, never in the log
    if generated:
        return f"admin token: {token}\n    (new: shown this once, kept in {settings.admin_token_file}, mode 0600)"
    return "admin token: SLOTLINE_ADMIN_TOKEN" if settings.admin_token else f"admin token: in {settings.admin_token_file}"


def _serve(app, host: str, port: int) -> None:
    """Serve with uvicorn until SIGINT/SIGTERM. uvicorn re-raises the signal after its own
    shutdown, which would kill this process before it stops the worker and the embedded
    Redis; here the signals only end `run()`, and the caller's cleanup runs."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextmanager
        def capture_signals(self):
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    # proxy_headers off: the app applies SLOTLINE_TRUSTED_PROXIES itself (webhooks/clientip.py), and
    # uvicorn's default would believe any X-Forwarded-For sent from 127.0.0.1.
    config = uvicorn.Config(app, host=host, port=port, log_level="info",  # sets up uvicorn's own handlers
                            proxy_headers=False)
    redact_handlers_of("uvicorn", "uvicorn.access")
    Server(config).run()


def cmd_chat(settings: Settings, _args=None) -> int:
    from core.db.migrate import upgrade
    from slotline import terminal_chat
    from slotline.bootstrap import build

    upgrade(settings.sqlalchemy_url)
    _seed_demo_if_empty(settings)
    container = build(settings)
    try:
        return terminal_chat.run(container.assistant)
    finally:
        container.close()


def cmd_telegram_poll(settings: Settings, _args=None) -> int:
    from bots.telegram import run_polling

    if not settings.telegram_bot_token:
        print("slotline telegram-poll: set TELEGRAM_BOT_TOKEN first", file=sys.stderr)
        return 2
    return _serve_channel(settings, lambda container: run_polling(container.channels.telegram, settings))


def cmd_slack(settings: Settings, _args=None) -> int:
    from bots.slack import run_socket_mode

    if not (settings.slack_app_token and settings.slack_bot_token):
        print("slotline slack: set SLACK_APP_TOKEN (Socket Mode) and SLACK_BOT_TOKEN first", file=sys.stderr)
        return 2
    return _serve_channel(settings, lambda container: run_socket_mode(container.channels.slack, container.provider_day,
                                                                      settings.slack_app_token))


def _serve_channel(settings: Settings, serve) -> int:
    """Migrate, seed, then run a channel's own long-lived loop (polling, Socket Mode) until stopped."""
    from core.db.migrate import upgrade
    from slotline.bootstrap import build

    upgrade(settings.sqlalchemy_url)
    _seed_demo_if_empty(settings)
    container = build(settings)
    try:
        serve(container)
    finally:
        container.close()
    return 0


def _configure_channels(settings: Settings) -> None:
    """Tell the platforms where we are (commands, webhook); a platform that can't be reached is logged, not fatal."""
    if settings.telegram_bot_token:
        from bots.telegram import configure_telegram

        try:
            configure_telegram(settings)
        except Exception:  # noqa: BLE001 - start serving anyway; the log says what went wrong
            logging.getLogger(__name__).exception("could not configure Telegram")


def cmd_run(settings: Settings, args) -> int:
    return cmd_web(settings, args, with_worker=True)


def _start_worker():
    """The worker as a child process, started again whenever it dies (until the server stops)."""
    from slotline.children import KeptAlive

    return KeptAlive("worker", [sys.executable, "-m", "slotline.cli", "worker"], env=os.environ.copy())


def _seed_demo_if_empty(settings: Settings) -> None:
    from sqlalchemy import func, select

    from core.booking.business_file import load_file
    from core.db.models import Service
    from core.db.session import UnitOfWork, make_engine, make_session_factory

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with UnitOfWork(make_session_factory(engine), write=True) as uow:
            if uow.session.scalar(select(func.count(Service.id))):
                return
            counts = load_file(uow.session, DEMO_FILE)
            uow.commit()
        print(f"empty database: loaded the demo salon ({counts['services']} services, "
              f"{counts['providers']} providers)")
    finally:
        engine.dispose()


def _safe_url(url: str) -> str:
    """The database URL without its password, fit for a log line."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
