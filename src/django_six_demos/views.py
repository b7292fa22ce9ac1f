"""The home page: the installed demos, what Django added apart from the packages, and their sources."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from django_six_demos import compat, frame
from django_six_demos.demo import installed_demos


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """List the demos: what Django itself added first, then the packages that complete it."""
    demos = [demo for demo in installed_demos() if demo.available]
    return TemplateResponse(
        request,
        "django_six_demos/index.html",
        {
            "django_line": compat.DJANGO_LINE,
            "django_features": [demo.context() for demo in demos if demo.is_django_feature],
            "packages": [demo.context() for demo in demos if not demo.is_django_feature],
        },
    )


@require_GET
@cache_control(max_age=3600, public=True)
def highlight_css(request: HttpRequest) -> HttpResponse:
    """Serve the source panel's Pygments styles (CSS classes, so style-src 'self' holds)."""
    return HttpResponse(frame.highlight_css(), content_type="text/css; charset=utf-8")
