"""`POST /webhooks/slack/events`: Slack's events, slash commands and interactivity, all on one URL.

Thin: the signature and timestamp are checked here first (401 before anything else runs, so an
unverified body never reaches Bolt, its error handler or its request logging); then Bolt's
Starlette converters turn the request in and the response out, and the Bolt app (`bots.slack`,
built once by the composition root: `webhooks.channels`) checks the signature again and
acknowledges within Slack's 3 seconds.

Rate limits (webhooks/ratelimit.py): a loose one per IP before the signature check (429), and
one per Slack user after it. A user over theirs gets a 200 (Slack would otherwise retry) and no
listener runs; a slash command's answer says "slow down" (Slack shows it to that user only).
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from slack_bolt.request.internals import extract_user_id, parse_body
from starlette.concurrency import run_in_threadpool

from bots.slack.verification import SIGNATURE_HEADER, TIMESTAMP_HEADER, signed_by_slack
from webhooks import ratelimit
from webhooks.channels import SlackDep

router = APIRouter(tags=["slack"], include_in_schema=False,  # for Slack, not for API clients
                   dependencies=[Depends(ratelimit.limit_webhook_ip)])


@router.post("/webhooks/slack/events", summary="Slack events, slash commands and interactivity",
             responses={400: {"description": "the body is not a Slack payload"},
                        401: {"description": "bad or stale Slack signature"},
                        503: {"description": "Slack is not configured"}})
async def slack_events(slack: SlackDep, request: Request) -> Response:
    body = await request.body()
    if not signed_by_slack(request.app.state.container.settings.slack_signing_secret, body,
                           request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER)):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing, stale or wrong Slack signature")
    if not _is_payload(body, request.headers.get("content-type")):
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            "the body is not a Slack payload (JSON, or a form carrying one)")
    held = await _held_back(request, body)
    if held is not None:
        return held
    return to_starlette_response(await slack.async_dispatch(to_async_bolt_request(request, body)))


async def _held_back(request: Request, body: bytes) -> Response | None:
    """The answer for a verified request whose user is over their limit; None to hand it to Bolt."""
    payload = parse_body(body.decode("utf-8"), (request.headers.get("content-type") or "").split(";")[0].strip())
    user = extract_user_id(payload)
    if not isinstance(user, str) or not user:
        return None
    refusal = await run_in_threadpool(ratelimit.rate_limits(request).sender_refusal, "slack", user)
    if refusal is None:
        return None
    if payload.get("command"):  # a slash command's response text is shown to the user who typed it
        return Response(ratelimit.slow_down(refusal.retry_after), media_type="text/plain")
    return Response(status_code=status.HTTP_200_OK)


def _is_payload(body: bytes, content_type: str | None) -> bool:
    """Whether Bolt can read the body (it parses before it verifies, and a parse error would be a 500)."""
    try:
        return isinstance(parse_body(body.decode("utf-8"), (content_type or "").split(";")[0].strip() or None), dict)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return False

