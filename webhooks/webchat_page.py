"""The web chat page at `GET /chat` and the one-script-tag widget at `GET /chat/widget.js`.

Plain HTML, CSS and JavaScript from `webhooks/static/`, no build step. The page talks to
`POST /api/v1/chat` on its own origin (see webhooks/chat.py); the same page, opened as
`/chat?embed=1`, is what the widget shows in an iframe.

Embed it on any site with one tag (HOST is where Slotline runs, e.g. `SLOTLINE_PUBLIC_URL`):

    <script src="https://HOST/chat/widget.js" data-slotline async></script>

The script adds a floating "Book an appointment" button to the page; tapping it opens the
chat in an iframe to `https://HOST/chat?embed=1`, so every request is same-origin to HOST
and no CORS is needed. Optional attributes on the tag: `data-label="Book now"` (the
button's text) and `data-position="left"` (bottom-left instead of bottom-right).

The page may be framed by any site (that is the point of the widget): it holds no secret
and acts only for the browser's own chat session. Everything else is locked down by a
Content-Security-Policy that allows only this origin's own scripts, styles and API.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse

router = APIRouter(tags=["web chat"], include_in_schema=False)
STATIC = Path(__file__).parent / "static"
ASSETS = {  # the only files served: name -> media type
    "chat.css": "text/css; charset=utf-8",
    "chat.js": "text/javascript; charset=utf-8",
    "widget.js": "text/javascript; charset=utf-8",
}
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
               "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors *")
# Revalidate every time (FileResponse sends an ETag): a deploy reaches embedded widgets at once.
REVALIDATE = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


@router.get("/chat")
def chat_page() -> FileResponse:
    """The chat page; `?embed=1` (read by chat.js) drops the page chrome for the widget's iframe."""
    headers = {**REVALIDATE, "Content-Security-Policy": PAGE_POLICY, "Referrer-Policy": "no-referrer"}
    return FileResponse(STATIC / "chat.html", media_type="text/html; charset=utf-8", headers=headers)


@router.get("/chat/{asset}")
def chat_asset(asset: str) -> FileResponse:
    """The page's stylesheet and script, and `widget.js` for other sites (a script tag needs no CORS)."""
    if asset not in ASSETS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no web chat file called {asset!r}")
    return FileResponse(STATIC / asset, media_type=ASSETS[asset], headers=REVALIDATE)
