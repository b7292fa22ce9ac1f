"""Helpers for asserting on CSP headers: parse, never compare header strings."""

from __future__ import annotations

import re

from django.http import HttpResponseBase

NONCE_SOURCE = re.compile(r"^'nonce-([A-Za-z0-9+/_=-]+)'$")
NONCE_ATTRIBUTE = re.compile(r'\snonce="([^"]+)"')


def parse_csp(header: str) -> dict[str, list[str]]:
    """Parse a CSP header into {directive: [sources]}."""
    policy: dict[str, list[str]] = {}
    for part in header.split(";"):
        tokens = part.split()
        if tokens:
            policy[tokens[0].lower()] = tokens[1:]
    return policy


def header_nonces(response: HttpResponseBase, header: str = "Content-Security-Policy") -> list[str]:
    policy = parse_csp(response.headers[header])
    return [m.group(1) for s in policy.get("script-src", []) if (m := NONCE_SOURCE.match(s))]


def page_nonces(html: str) -> set[str]:
    return set(NONCE_ATTRIBUTE.findall(html))
