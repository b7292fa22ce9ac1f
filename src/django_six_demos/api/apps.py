"""The API demo: the same talks as JSON four ways (plain Django, DRF, Django Ninja, msgspec)."""

from __future__ import annotations

from django_six_demos import compat
from django_six_demos.demo import DemoConfig, Source, package

# The three packages come together in the "api" extra.
INSTALL_API: str = 'pip install "django-six-demos[api]"'


class ApiDemoConfig(DemoConfig):
    name = "django_six_demos.api"
    # An explicit label: the default ("api") would clash with many projects' own app.
    label = "django_six_demos_api"
    verbose_name = "API demo"
    title = "JSON APIs"
    summary = (
        "The same talks served as JSON four ways: plain Django, Django REST framework, "
        "Django Ninja and msgspec, byte for byte equal and measured side by side."
    )
    url_prefix = "api/"
    order = 7
    chapter = "tutorial/07-api"
    # Not a Django 6 feature: JSON views are plain Django; the rest are packages.
    django_docs = "https://docs.djangoproject.com/en/6.0/ref/request-response/#jsonresponse-objects"
    django_docs_title = "JsonResponse objects"
    package_docs = {
        "djangorestframework": "https://www.django-rest-framework.org/",
        "django-ninja": "https://django-ninja.dev/",
        "msgspec": "https://jcristharif.com/msgspec/",
    }
    # Ninja serves Swagger UI from its app's static folder. DRF needs no app: the demo
    # renders JSON only (its browsable API's inline scripts break the strict policy).
    extra_apps = ("ninja",)
    requires = {
        "rest_framework": INSTALL_API,
        "ninja": INSTALL_API,
        "msgspec": INSTALL_API,
    }

    def sources(self) -> list[Source]:
        return [
            Source("JSON views", "Django", compat.DJANGO_LINE, True),
            package("Serializers and generic views", "djangorestframework"),
            package("Schemas, routers and OpenAPI", "django-ninja"),
            package("Typed structs, fast JSON", "msgspec"),
        ]
