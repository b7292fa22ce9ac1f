"""Helpers for asserting on CSP headers: parse, never compare header strings."""

from __future__ import annotations

import re

from django.http import HttpResponseBase

from django_six_demos.csp_header import ENFORCED, parse

# Stricter than the parser: a nonce the tests see is base64 characters only.
NONCE_SOURCE = re.compile(r"^'nonce-([A-Za-z0-9+/_=-]+)'$")
NONCE_ATTRIBUTE = re.compile(r'\snonce="([^"]+)"')


def parse_csp(header: str) -> dict[str, list[str]]:
    """Parse a CSP header into {directive: [sources]}."""
    return parse(header)


def header_nonces(response: HttpResponseBase, header: str = ENFORCED) -> list[str]:
    """Return every nonce source in ``header``'s script-src (``[nonce] = ...`` asserts one)."""
    policy = parse(response.headers[header])
    return [m.group(1) for s in policy.get("script-src", []) if (m := NONCE_SOURCE.match(s))]


def page_nonces(html: str) -> set[str]:
    return set(NONCE_ATTRIBUTE.findall(html))
