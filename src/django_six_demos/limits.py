"""Side effects that strangers can reach: who may trigger them, and how often.

Every view that sends email, enqueues work, starts processes or stores rows goes
through :func:`side_effect`: a signed-in user (staff, where it says so), then
per-user and per-IP rate limits counted by django-ratelimit, then a friendly 429.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget
from django_ratelimit.core import get_usage

REFUSED_TEMPLATE: Final = "django_six_demos/refused.html"
# The region of base.html where an htmx request's refusal is shown.
NOTICE_TARGET: Final = "#demo-notice"

View = TypeVar("View", bound=Callable[..., HttpResponseBase])

# The refusal page's heading for each status a guard or a cap answers with.
HEADINGS: Final = {
    403: "Not allowed",
    409: "Already under way",
    429: "Too many requests",
    503: "Try again later",
}


_PERIODS: Final = {"s": "a second", "m": "a minute", "h": "an hour", "d": "a day"}


def in_words(rate: str) -> str:
    """Say a django-ratelimit rate in words: "10/h" is "10 an hour"."""
    count, _, period = rate.partition("/")
    return f"{count} {_PERIODS[period]}" if period in _PERIODS else rate


@dataclass(frozen=True)
class Rate:
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
    """Count one attempt of ``group`` for ``key`` ("user" or "ip").

    Return the seconds until the window resets if the attempt is over the
    limit, else None. The counts live in django-ratelimit's cache
    (``RATELIMIT_USE_CACHE``, default ``"default"``).
    """
    usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    seconds: int = max(1, math.ceil(usage["time_left"]))
    return seconds


def refused(
    request: HttpRequest,
    message: str,
    *,
    status: int,
    retry_after: int | None = None,
) -> HttpResponse:
    """Answer a refused side effect: a page, or for htmx a notice in ``#demo-notice``."""
    is_htmx = bool(getattr(request, "htmx", False))
    template = f"{REFUSED_TEMPLATE}#notice" if is_htmx else REFUSED_TEMPLATE
    response = TemplateResponse(
        request,
        template,
        {
            "heading": HEADINGS.get(status, "Not done"),
            "message": message,
            "status": status,
            "retry_after": retry_after,
        },
        status=status,
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    if is_htmx:
        # The element that asked may be a table row or a status box: put the
        # message in the page's notice region instead. base.html lets htmx
        # swap a 429; other refusals stay unswapped, so pages offer htmx
        # controls only to those who may use them.
        retarget(response, NOTICE_TARGET)
        reswap(response, "innerHTML")
    return response


def _next_path(request: HttpRequest) -> str | None:
    # After signing in, go back to the page the form was on: a POST endpoint
    # cannot be opened with GET.
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return None


def sign_in(request: HttpRequest, next_path: str | None = None) -> HttpResponseBase:
    """Send an anonymous visitor to sign in, then back (htmx: the whole page goes).

    Back to ``next_path``, or else the page the request came from.
    """
    redirect = redirect_to_login(next_path or _next_path(request) or "/")
    if getattr(request, "htmx", False):
        # htmx would follow a 302 itself and swap the sign-in page into the
        # target: HX-Redirect makes the browser navigate instead.
        return HttpResponseClientRedirect(redirect.url)
    return redirect


def side_effect(
    *, group: str, rate: Rate, action: str, staff_only: bool = False
) -> Callable[[View], View]:
    """Guard a view with a side effect: sign-in, staff (optionally), two rate limits.

    ``action`` completes "Sign in to …" and "Only staff may …", e.g. "send the
    acceptance emails". Anonymous visitors are sent to sign in; a signed-in
    user who is not staff gets a 403 where ``staff_only``; past either limit,
    a 429 with ``Retry-After``. Refusals are not counted against the limits.
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return sign_in(request)
            if staff_only and not getattr(user, "is_staff", False):
                return refused(request, f"Only staff may {action}.", status=403)
            waits = [
                wait
                for key, key_rate in (("user", rate.per_user), ("ip", rate.per_ip))
                if (wait := limited_for(request, group, key, key_rate)) is not None
            ]
            if waits:
                seconds = max(waits)
                return refused(
                    request,
                    f"Too many requests to {action}: try again in {seconds} s.",
                    status=429,
                    retry_after=seconds,
                )
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
