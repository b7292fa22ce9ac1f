"""The response inspector: what a response carried, computed once on the server.

A full page renders it with ``frame/inspector.html``; an htmx swap carries it as JSON
in the ``Demo-Inspection`` header, which ``frame.js`` only draws.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.template import TemplateDoesNotExist
from django.template.response import SimpleTemplateResponse

from django_six_demos import csp_header
from django_six_demos.frame.source import template_label, view_for

# Starts with a literal, which re finds fast; page_nonces() checks the whitespace before it.
_NONCE_ATTRIBUTE = re.compile(r"""nonce=["']([^"']*)["']""")


@dataclasses.dataclass
class CspHeader:
    name: str
    directives: csp_header.Policy
    nonce: str | None


@dataclasses.dataclass
class Inspection:
    """What one response carried, for the inspector panel."""

    method: str
    path: str
    status: int
    reason: str
    is_htmx: bool
    view: str | None
    template: str | None
    queries: int
    duration_ms: float
    policies: list[CspHeader]
    nonce_verdict: str
    nonce_ok: bool
    request_htmx_headers: list[tuple[str, str]]
    response_htmx_headers: list[tuple[str, str]]
    response_headers: list[tuple[str, str]]

    def to_json(self) -> str:
        """Return the inspection for the ``Demo-Inspection`` header."""
        data = dataclasses.asdict(self)
        # The browser reads the response's headers itself; a copy would double their size.
        del data["response_headers"]
        return json.dumps(data, separators=(",", ":"))


def rendered_template(response: HttpResponseBase) -> Any:
    """Return the compiled template a TemplateResponse rendered, or None."""
    if not isinstance(response, SimpleTemplateResponse):
        return None
    try:
        backend_template = response.resolve_template(response.template_name)
    except TemplateDoesNotExist:
        return None
    return getattr(backend_template, "template", backend_template)


def page_nonces(body: str) -> list[str]:
    """Return the values of the ``nonce`` attributes in ``body`` (after whitespace), in order."""
    nonces = []
    position = 0
    while match := _NONCE_ATTRIBUTE.search(body, position):
        start = match.start()
        if start and body[start - 1].isspace():
            nonces.append(match[1])
            position = match.end()
        else:
            position = start + 1
    return nonces


def nonce_verdict(policies: list[CspHeader], nonces: list[str]) -> tuple[str, bool]:
    """Return whether the page's nonces match its CSP headers', and whether that is fine."""
    header_values = {p.nonce for p in policies if p.nonce}
    if not policies:
        return "No CSP header on this response.", False
    if not header_values:
        if nonces:
            return "The page carries a nonce the header does not allow.", False
        return "No nonce: this response printed none, so its header carries none.", True
    if len(header_values) > 1:
        return "The enforced and report-only headers carry different nonces.", False
    [value] = header_values
    if not nonces:
        return "The header allows a nonce no element on the page uses.", True
    if all(nonce == value for nonce in nonces):
        noun = "element carries" if len(nonces) == 1 else "elements carry"
        return f"Matches: {len(nonces)} {noun} the header's nonce.", True
    return "Mismatch: an element carries a nonce the header does not allow.", False


def inspect_response(
    request: HttpRequest, response: HttpResponseBase, *, body: str, queries: int, duration: float
) -> Inspection:
    """Describe ``response`` (complete, headers set) and ``body``, its text."""
    view = view_for(request)
    policies = [
        CspHeader(name, directives, csp_header.nonce(directives))
        for name, directives in csp_header.policies(response).items()
    ]
    verdict, nonce_ok = nonce_verdict(policies, page_nonces(body))
    return Inspection(
        method=request.method or "GET",
        path=request.get_full_path(),
        status=response.status_code,
        reason=getattr(response, "reason_phrase", ""),
        is_htmx=request.headers.get("HX-Request") == "true",
        view=f"{view.__module__}.{view.__qualname__}" if view is not None else None,
        template=template_label(rendered_template(response)),
        queries=queries,
        duration_ms=round(duration * 1000, 1),
        policies=policies,
        nonce_verdict=verdict,
        nonce_ok=nonce_ok,
        request_htmx_headers=[
            (name, value)
            for name, value in request.headers.items()
            if name.lower().startswith("hx-")
        ],
        response_htmx_headers=[
            (name, value) for name, value in response.items() if name.lower().startswith("hx-")
        ],
        response_headers=[
            (name, "(hidden)" if name.lower() == "set-cookie" else value)
            for name, value in response.items()
        ],
    )
