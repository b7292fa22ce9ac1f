"""The Content Security Policy demo: a strict nonce policy, twins, overrides, reports."""

from __future__ import annotations

from django_six_demos.demo import DemoConfig, Source, gated

# Sends the Reporting-Endpoints header that CSP's report-to needs (the CSP
# settings of Django 6.0+ and of django-csp emit only the CSP headers).
REPORTING_MIDDLEWARE = "django_six_demos.csp.reporting.ReportingEndpointsMiddleware"


class CspDemoConfig(DemoConfig):
    name = "django_six_demos.csp"
    # An explicit label: the default ("csp") would clash with django-csp's.
    label = "django_six_demos_csp"
    verbose_name = "Content Security Policy demo"
    title = "Content Security Policy"
    summary = (
        "A strict nonce policy on every page, report-only mode, per-view overrides "
        "and a violation-report collector."
    )
    url_prefix = "csp/"
    order = 2
    middleware = (REPORTING_MIDDLEWARE,)

    def sources(self) -> list[Source]:
        return [gated("Middleware, nonce, decorators", "csp")]
