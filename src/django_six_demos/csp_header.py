"""Read a Content-Security-Policy header: the one parser of the frame, the CSP room and the tests.

A policy is ``directive source source; directive ...``; names are
case-insensitive and a repeated directive is ignored, as browsers do.
"""

from __future__ import annotations

import re
from typing import Final

from django.http.response import HttpResponseBase

ENFORCED: Final = "Content-Security-Policy"
REPORT_ONLY: Final = "Content-Security-Policy-Report-Only"
CSP_HEADERS: Final = (ENFORCED, REPORT_ONLY)
_NONCE_SOURCE = re.compile(r"^'nonce-([^']+)'$")
# The directives a nonce in script-src applies through, in fallback order.
_SCRIPT_DIRECTIVES: Final = ("script-src-elem", "script-src", "default-src")

Policy = dict[str, list[str]]


def parse(header: str) -> Policy:
    """Return ``{directive: [source, ...]}`` in header order."""
    policy: Policy = {}
    for part in header.split(";"):
        tokens = part.split()
        if tokens:
            policy.setdefault(tokens[0].lower(), tokens[1:])
    return policy


def policies(response: HttpResponseBase) -> dict[str, Policy]:
    """Return ``{header name: policy}`` for the CSP headers ``response`` carries."""
    return {name: parse(response[name]) for name in CSP_HEADERS if name in response}


def nonce(policy: Policy) -> str | None:
    """Return the nonce that ``policy`` lets scripts carry, if any."""
    for name in _SCRIPT_DIRECTIVES:
        if name in policy:
            for source in policy[name]:
                if match := _NONCE_SOURCE.match(source):
                    return match.group(1)
            return None
    return None
