"""The Content Security Policy demo: a strict nonce policy, twins, overrides, reports."""

from __future__ import annotations

from django_six_demos.demo import DemoConfig, Source, gated

# Turns report-uri URL names into this request's paths, and sends the
# Reporting-Endpoints header that CSP's report-to needs (the CSP settings of
# Django 6.0+ and of django-csp emit only the CSP headers).
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
    chapter = "tutorial/02-csp"
    django_docs = "https://docs.djangoproject.com/en/6.0/ref/csp/"
    django_docs_title = "Content Security Policy"
    added_in = "6.0"
    release_notes = (
        "https://docs.djangoproject.com/en/6.0/releases/6.0/#content-security-policy-support"
    )
    middleware = (REPORTING_MIDDLEWARE,)
    # The collector's URL name: conf.demo_settings() reports there by default.
    csp_report_url_name = "django_six_demos_csp:report"

    def sources(self) -> list[Source]:
        return [gated("Middleware, nonce, decorators", "csp")]
