"""Server-sent events as text: the wire format htmx's SSE extension reads.

An event is an optional ``event:`` line, one ``data:`` line per line of its data, then a blank
line. htmx swaps each event's data in as HTML, so a token is escaped before it leaves.
"""

from __future__ import annotations

import re
from typing import Final

from django.utils.html import escape

TOKEN: Final = "token"
DONE: Final = "done"

# A line ends at CRLF, CR or LF alike for the browser's EventSource parser.
_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")


def sse_event(data: str, event: str | None = None) -> str:
    """Return one event: ``sse_event("a\\nb", "token")`` is ``"event: token\\ndata: a\\ndata: b\\n\\n"``.

    Every line of ``data`` gets its own ``data:`` prefix, so a line break inside it can neither
    end the event early nor start a field of its own; the browser joins the lines with ``\\n``.
    """
    head = ""
    if event is not None:
        if not event or _LINE_BREAK.search(event):
            raise ValueError(f"An event name is one non-empty line, not {event!r}.")
        head = f"event: {event}\n"
    lines = "".join(f"data: {line}\n" for line in _LINE_BREAK.split(data))
    return f"{head}{lines}\n"


def sse_comment(text: str = "keep-alive") -> str:
    """Return a comment: the browser ignores it, but it keeps idle proxies from closing the stream."""
    lines = "".join(f": {line}\n" for line in _LINE_BREAK.split(text))
    return f"{lines}\n"


def token_event(token: str) -> str:
    """Return a ``token`` event carrying ``token`` HTML-escaped: htmx appends it as text."""
    return sse_event(escape(token), TOKEN)


def done_event(html: str) -> str:
    """Return the ``done`` event: the message's final, already sanitized HTML; it closes the stream."""
    return sse_event(html, DONE)
