"""Small server-rendered pages (the manage page, the email unsubscribe): no script at all, one inline style.

Their URLs carry a signed token, so each page is locked down like the /chat page and more: a
Content-Security-Policy that allows no script and only its own style (by hash) and forms posting
back to this origin, no framing (its buttons act), no referrer (the token stays out of other
sites' logs), no caching, no indexing. Every value shown is HTML-escaped here, once.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from html import escape

from fastapi.responses import HTMLResponse

STYLE = (
    "body{font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;max-width:32rem;margin:2rem auto;"
    "padding:0 1rem;color:#111827;line-height:1.5}h1{font-size:1.25rem}.muted{color:#6b7280;font-size:.9rem}"
    ".card{border:1px solid #e5e7eb;border-radius:8px;padding:1rem;margin:1rem 0}"
    "form{display:inline-block;margin:0 .5rem .5rem 0}"
    "button{font:inherit;padding:.6rem 1.1rem;border-radius:6px;border:1px solid #1d4ed8;background:#fff;"
    "color:#1d4ed8;cursor:pointer}button.primary{background:#1d4ed8;color:#fff}"
    "button.danger{border-color:#b91c1c;color:#b91c1c}a{color:#1d4ed8}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
POLICY = (f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; base-uri 'none'; "
          "frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": POLICY, "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
           "X-Robots-Tag": "noindex, nofollow", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}


@dataclass(frozen=True)
class Button:
    """A form that POSTs `fields` back to the page's own URL."""

    label: str
    fields: dict[str, str]
    style: str = ""  # "primary", "danger" or ""


def render(title: str, paragraphs: list[str], *, buttons: list[Button] = (), heading: str | None = None,
           links: list[tuple[str, str]] = (), status_code: int = 200) -> HTMLResponse:
    """A page: a heading, paragraphs of plain text, buttons, then links ((label, href) pairs)."""
    body = "".join(f"<p>{escape(text)}</p>" for text in paragraphs)
    forms = "".join(_form(button) for button in buttons)
    anchors = "".join(f'<p><a href="{escape(href)}">{escape(label)}</a></p>' for label, href in links)
    html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{escape(heading or title)}</h1>{body}<div>{forms}</div>{anchors}</body></html>")
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)


def _form(button: Button) -> str:
    hidden = "".join(f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
                     for name, value in button.fields.items())
    css = f' class="{escape(button.style)}"' if button.style else ""
    return f'<form method="post">{hidden}<button type="submit"{css}>{escape(button.label)}</button></form>'
