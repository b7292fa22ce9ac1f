"""Migrate from django-csp to Django 6.0's Content Security Policy.

Both stacks' settings are generated from the policy this site runs.
https://docs.djangoproject.com/en/6.0/ref/csp/
"""

from __future__ import annotations

from typing import Any, Final

from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from django_six_demos import compat, conf
from django_six_demos.csp.reporting import report_url
from django_six_demos.csp_policy import NONCE, Directives
from django_six_demos.demo import demo_for
from django_six_demos.settings_code import Code, imports, migration_page, python_literal

LABELS: Final = ("Django 5.2 with django-csp", "Django 6.0 and later, core")
# django-csp's context processor gives templates CSP_NONCE; core's, csp_nonce.
DJANGO_CSP_CONTEXT_PROCESSOR: Final = "csp.context_processors.nonce"
CORE_CSP_CONTEXT_PROCESSOR: Final = "django.template.context_processors.csp"
SECURITY_MIDDLEWARE: Final = "django.middleware.security.SecurityMiddleware"


def site_policies() -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Return the enforced (else the strict) and the report-only policy this site runs.

    A report-uri given as a URL name (the demos' middleware reverses it per request) is shown
    as the path it reverses to: plain django-csp and core would send the name as it is.
    """
    policies = compat.configured_policies()
    enforce = policies["enforce"] or conf.strict_policy()
    report_only = policies["report-only"] or None
    return _with_report_paths(enforce), _with_report_paths(report_only) if report_only else None


def _with_report_paths(policy: dict[str, Any]) -> dict[str, Any]:
    sources = policy.get("report-uri")
    if not isinstance(sources, list | tuple):
        return policy
    paths = [report_url(s) or s if isinstance(s, str) else s for s in sources]
    return {**policy, "report-uri": paths}


def csp_settings_for(
    directives: Directives | None = None,
    *,
    report_only: Directives | None = None,
    core: bool,
) -> dict[str, Any]:
    """Return either stack's CSP settings on any line, the nonce as printable code.

    >>> csp_settings_for({"script-src": [NONCE]}, core=True)
    {'SECURE_CSP': {'script-src': [CSP.NONCE]}}
    """
    if core:
        nonce = Code("CSP.NONCE", "from django.utils.csp import CSP")
        names = ("SECURE_CSP", "SECURE_CSP_REPORT_ONLY")
    else:
        nonce = Code("NONCE", "from csp.constants import NONCE")
        names = ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
    result: dict[str, Any] = {}
    for name, policy in zip(names, (directives, report_only), strict=True):
        if policy is not None:
            value = {
                directive: sources
                if isinstance(sources, bool)
                else [nonce if source is NONCE else source for source in sources]
                for directive, sources in policy.items()
            }
            result[name] = value if core else {"DIRECTIVES": value}
    return result


def settings_code(
    directives: Directives, *, report_only: Directives | None = None, core: bool
) -> str:
    """Return the CSP part of a ``settings.py`` for either stack (``core``: Django 6.0+)."""
    policy = csp_settings_for(directives, report_only=report_only, core=core)
    needed = imports(policy)
    lines = [*needed, ""] if needed else []
    if not core:
        lines.append('INSTALLED_APPS += ["csp"]')
    middleware = compat.CORE_CSP_MIDDLEWARE if core else compat.DJANGO_CSP_MIDDLEWARE
    processor = CORE_CSP_CONTEXT_PROCESSOR if core else DJANGO_CSP_CONTEXT_PROCESSOR
    lines += [
        # Right after SecurityMiddleware (and WhiteNoise, if any).
        f"MIDDLEWARE = {python_literal([SECURITY_MIDDLEWARE, middleware, ...])}",
        f'TEMPLATES[0]["OPTIONS"]["context_processors"] += ["{processor}"]',
        *(f"{name} = {python_literal(value)}" for name, value in policy.items()),
    ]
    return "\n".join(lines) + "\n"


@require_GET
def migrate(request: HttpRequest) -> TemplateResponse:
    """The migration how-to, generated from the policy this site runs."""
    enforce, report_only = site_policies()
    return migration_page(
        request,
        "django_six_demos/csp/migrate.html",
        demo_for(__name__),
        before=settings_code(enforce, report_only=report_only, core=False),
        after=settings_code(enforce, report_only=report_only, core=True),
        labels=LABELS,
        on_core=compat.HAS_BUILTIN_CSP,
        context_processor=compat.CSP_CONTEXT_PROCESSOR,
    )
