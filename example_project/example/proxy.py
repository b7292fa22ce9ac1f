"""The visitor's address behind one reverse proxy (``DJANGO_BEHIND_PROXY=1``).

django-axes and django-ratelimit read it through their settings (see the
production settings); without it, every visitor would share the proxy's address.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """Return the last ``X-Forwarded-For`` entry: the address the proxy saw.

    The proxy appends that address; entries to its left come from the client
    and may be forged. Without a valid entry, ``REMOTE_ADDR`` is used.
    """
    forwarded = request.headers.get("x-forwarded-for", "")
    last = forwarded.rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return str(request.META.get("REMOTE_ADDR", ""))
