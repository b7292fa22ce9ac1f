"""The CSP demo's system checks: reports must reach a URL that collects them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from django_six_demos import compat
from django_six_demos.conf import REPORTING_ENDPOINTS_SETTING
from django_six_demos.csp.apps import REPORTING_MIDDLEWARE
from django_six_demos.csp.reporting import is_url_name


def _policy_sources(directive: str) -> list[str]:
    """Return the sources of ``directive`` in the enforced and report-only policies."""
    found: list[str] = []
    for policy in compat.configured_policies().values():
        sources = policy.get(directive)
        if isinstance(sources, (list, tuple)):
            found += [str(s) for s in sources if str(s) not in found]
    return found


def _site_path(uri: str) -> str | None:
    """Return ``uri`` as a path for resolve(), or None if it is on another site."""
    if not uri.startswith("/") or uri.startswith("//"):
        return None
    path = uri.split("?", 1)[0].split("#", 1)[0]
    prefix = (getattr(settings, "FORCE_SCRIPT_NAME", None) or "/").rstrip("/") + "/"
    return "/" + path.removeprefix(prefix) if path.startswith(prefix) else path


_W013_HINT = (
    "conf.demo_settings() reports to the csp demo's collector wherever django_six_demos.urls "
    "is included; csp_report_uri=... points elsewhere."
)


def _url_name_problem(name: str) -> str | None:
    """Why the URL name ``name`` in report-uri would not reach a URL, or None if it would."""
    if REPORTING_MIDDLEWARE not in (getattr(settings, "MIDDLEWARE", None) or []):
        return f"is a URL name, which only {REPORTING_MIDDLEWARE!r} (not in MIDDLEWARE) resolves"
    try:
        reverse(name)
    except NoReverseMatch:
        return "is a URL name that matches no URL (is django_six_demos.urls included?)"
    return None


@register(Tags.urls)
def check_csp_report_uri(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """W013: a report-uri path or URL name that reaches no URL here (other sites: not checked)."""
    messages: list[CheckMessage] = []
    for uri in _policy_sources("report-uri"):
        if is_url_name(uri):
            problem = _url_name_problem(uri)
        elif (path := _site_path(uri)) is None:
            continue
        else:
            try:
                resolve(path)
                problem = None
            except Resolver404:
                problem = "matches no URL"
        if problem:
            messages.append(
                Warning(
                    f"The CSP report-uri {uri!r} {problem}; reports would be lost.",
                    hint=_W013_HINT,
                    id="django_six_demos.W013",
                )
            )
    return messages


@register(Tags.security)
def check_csp_report_to(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """W014: report-to names a group no Reporting-Endpoints header defines: browsers send nothing."""
    groups = _policy_sources("report-to")
    if REPORTING_MIDDLEWARE in (getattr(settings, "MIDDLEWARE", None) or []):
        defined = getattr(settings, REPORTING_ENDPOINTS_SETTING, None)
        if isinstance(defined, Mapping):
            groups = [group for group in groups if group not in defined]
    if groups:
        return [
            Warning(
                f"The CSP report-to names {', '.join(groups)}, but no Reporting-Endpoints defines it.",
                hint=(
                    f"Map it to a URL in {REPORTING_ENDPOINTS_SETTING} and add "
                    f"{REPORTING_MIDDLEWARE!r} to MIDDLEWARE. Build the setting with "
                    "django_six_demos.conf (see the install docs)."
                ),
                id="django_six_demos.W014",
            )
        ]
    return []
