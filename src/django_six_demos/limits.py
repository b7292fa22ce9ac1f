"""Side effects strangers can reach: who may trigger them, and how often.

Every view that sends email, enqueues work, starts processes or stores rows goes
through :func:`side_effect`: sign-in, staff where asked, per-user and per-IP rate limits.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, Final, NamedTuple, TypeVar

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget
from django_ratelimit.core import get_usage

from django_six_demos import accounts

REFUSED_TEMPLATE: Final = "django_six_demos/refused.html"
# The region of base.html where an htmx request's refusal is shown.
NOTICE_TARGET: Final = "#demo-notice"
HEADINGS: Final = {
    403: "Not allowed",
    409: "Already under way",
    429: "Too many requests",
    503: "Try again later",
}
_PERIODS: Final = {"s": "a second", "m": "a minute", "h": "an hour", "d": "a day"}

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def in_words(rate: str) -> str:
    """Say a django-ratelimit rate in words: "10/h" is "10 an hour"."""
    count, _, period = rate.partition("/")
    return f"{count} {_PERIODS[period]}" if period in _PERIODS else rate


class Rate(NamedTuple):
    """How often one user, and one IP address, may do something: "5/m", "20/h"."""

    per_user: str
    per_ip: str

    @property
    def user_words(self) -> str:
        return in_words(self.per_user)

    @property
    def ip_words(self) -> str:
        return in_words(self.per_ip)

    def __str__(self) -> str:
        return f"{self.user_words} per user, {self.ip_words} per address"


def limited_for(request: HttpRequest, group: str, key: str, rate: str) -> int | None:
    """Count one attempt of ``group`` for ``key`` ("user" or "ip"); seconds to wait if over."""
    usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    seconds: int = max(1, math.ceil(usage["time_left"]))
    return seconds


def over_limit(request: HttpRequest, group: str, rate: Rate, too_many: str) -> HttpResponse | None:
    """Count one attempt per user and per address; past either limit, a 429 "Too many …"."""
    waits = [
        wait
        for key, key_rate in (("user", rate.per_user), ("ip", rate.per_ip))
        if (wait := limited_for(request, group, key, key_rate)) is not None
    ]
    if not waits:
        return None
    seconds = max(waits)
    message = f"Too many {too_many}: try again in {seconds} s."
    return refused(request, message, status=429, retry_after=seconds)


def refused(
    request: HttpRequest, message: str, *, status: int, retry_after: int | None = None
) -> HttpResponse:
    """Answer a refused side effect: a page, or for htmx a notice in ``#demo-notice``."""
    is_htmx = bool(getattr(request, "htmx", False))
    heading = HEADINGS.get(status, "Not done")
    context = {"heading": heading, "message": message, "status": status, "retry_after": retry_after}
    template = f"{REFUSED_TEMPLATE}#notice" if is_htmx else REFUSED_TEMPLATE
    response = TemplateResponse(request, template, context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    if is_htmx:
        # The asking element may be a table row: show the message in base.html's notice region.
        retarget(response, NOTICE_TARGET)
        reswap(response, "innerHTML")
    return response


def _next_path(request: HttpRequest) -> str | None:
    # Back to the page the form was on: a POST endpoint cannot be opened with GET.
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return None


def sign_in(request: HttpRequest, next_path: str | None = None) -> HttpResponseBase:
    """Send an anonymous visitor to the demos' sign-in, then back to ``next_path`` or the referrer."""
    url = accounts.sign_in_url(next_path or _next_path(request) or "/")
    if getattr(request, "htmx", False):
        # htmx would follow a 302 and swap the sign-in page in: navigate instead.
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def side_effect(
    *, group: str, rate: Rate, action: str, staff_only: bool = False
) -> Callable[[View], View]:
    """Guard a view: sign-in, staff if ``staff_only``, then per-user and per-IP limits (429).

    ``action`` completes "Only staff may …"; refusals are not counted against the limits.
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return sign_in(request)
            if staff_only and not getattr(user, "is_staff", False):
                return refused(request, f"Only staff may {action}.", status=403)
            if refusal := over_limit(request, group, rate, f"requests to {action}"):
                return refusal
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
