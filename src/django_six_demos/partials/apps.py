"""The template partials demo: ``{% partialdef %}`` and ``"page.html#name"``."""

from __future__ import annotations

from django_six_demos.demo import DemoConfig, Source, gated


class PartialsDemoConfig(DemoConfig):
    name = "django_six_demos.partials"
    # An explicit label: the default ("partials") could clash with other apps.
    label = "django_six_demos_partials"
    verbose_name = "Template partials demo"
    title = "Template partials"
    summary = (
        '{% partialdef %} and "page.html#name": one template serves the full page '
        "and the fragment htmx swaps in."
    )
    url_prefix = "partials/"
    order = 1
    chapter = "tutorial/01-partials"
    django_docs = "https://docs.djangoproject.com/en/6.0/ref/templates/language/#template-partials"
    django_docs_title = "Template partials"
    added_in = "6.0"
    release_notes = "https://docs.djangoproject.com/en/6.0/releases/6.0/#template-partials"

    def sources(self) -> list[Source]:
        return [gated("Template partials", "partials")]
