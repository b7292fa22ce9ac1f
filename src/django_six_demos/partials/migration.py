"""Migrate from django-template-partials to Django's built-in partials.

The settings on this page are not written out by hand: they come from
``compat.partials_settings()``, the same function that configures this site, so
the page stays true for every Django line it runs on.
https://docs.djangoproject.com/en/6.0/ref/templates/language/#template-partials
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from django_six_demos import compat, frame, rooms
from django_six_demos.settings_diff import DiffLine, settings_diff

BEFORE_LABEL: Final = "Django 5.2 with django-template-partials"
AFTER_LABEL: Final = "Django 6.0 and later, core"
_INDENT: Final = "    "


def python_literal(value: Any, depth: int = 0) -> str:
    """Format ``value`` as Python source, one item per line, with trailing commas.

    Strings get double quotes; ``...`` stands for "whatever else is there".
    """
    if value is Ellipsis:
        return "..."
    if isinstance(value, str):
        return f'"{value}"' if '"' not in value and "\\" not in value else repr(value)
    if isinstance(value, Mapping):
        opening, closing = "{", "}"
        items = [f"{python_literal(k)}: {python_literal(v, depth + 1)}" for k, v in value.items()]
    elif isinstance(value, (list, tuple)):
        opening, closing = ("[", "]") if isinstance(value, list) else ("(", ")")
        items = [python_literal(item, depth + 1) for item in value]
    else:
        return repr(value)
    if not items:
        return opening + closing
    inner = _INDENT * (depth + 1)
    lines = [f"{inner}{item}," for item in items]
    return "\n".join([opening, *lines, _INDENT * depth + closing])


def settings_code(*, core: bool) -> str:
    """Return the partials part of a ``settings.py`` for either stack."""
    pieces = compat.partials_settings(core=core)
    templates = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [],
            # No "APP_DIRS": the loaders include the app directories loader.
            "OPTIONS": {"loaders": pieces["loaders"], "builtins": pieces["builtins"]},
        }
    ]
    return (
        f"INSTALLED_APPS = {python_literal([..., *pieces['INSTALLED_APPS']])}\n"
        f"TEMPLATES = {python_literal(templates)}\n"
    )


def diff_lines(before: str, after: str) -> list[DiffLine]:
    """Return the unified diff from ``before`` to ``after``, line by line, classified."""
    return settings_diff(before, after, before_label=BEFORE_LABEL, after_label=AFTER_LABEL)


class TemplateChange(NamedTuple):
    before: str
    # None: delete it.
    after: str | None
    why: str
    # False: before and after are prose, not template code.
    is_code: bool = True


TEMPLATE_CHANGES: Final[Sequence[TemplateChange]] = (
    TemplateChange(
        "{% load partials %}",
        None,
        "Django's partialdef and partial are builtins. Without the package, loading "
        "its library raises TemplateSyntaxError.",
    ),
    TemplateChange(
        "{% startpartial name %}…{% endpartial %}",
        "{% partialdef name %}…{% endpartialdef %}",
        "Deprecated in django-template-partials (it warns); invalid block tags in Django.",
    ),
    TemplateChange(
        "{% partialdef name inline=True %}",
        "{% partialdef name inline %}",
        "django-template-partials warns about inline=True; Django raises TemplateSyntaxError.",
    ),
    TemplateChange(
        "Two partials of the same name in one template",
        "A name for each",
        "django-template-partials keeps the last; Django raises TemplateSyntaxError.",
        is_code=False,
    ),
    TemplateChange(
        "{% partial name %}",
        "{% partial name %}",
        "Unchanged.",
    ),
    TemplateChange(
        '"page.html#name"',
        '"page.html#name"',
        "Unchanged: render(), TemplateResponse, {% include %}, get_template().",
    ),
)


@require_GET
def migrate(request: HttpRequest) -> HttpResponse:
    """The migration how-to, from the settings helpers of the running line."""
    source = compat.feature_source("partials")
    before = settings_code(core=False)
    after = settings_code(core=True)
    return TemplateResponse(
        request,
        "django_six_demos/partials/migrate.html",
        {
            "room": rooms.ROOMS_BY_SLUG["partials"],
            "source": rooms.Source("Template partials", *source),
            "on_core": compat.HAS_BUILTIN_PARTIALS,
            "columns": [
                {
                    "id": "before",
                    "label": BEFORE_LABEL,
                    "here": not compat.HAS_BUILTIN_PARTIALS,
                    "code": frame.highlight(before, "python"),
                },
                {
                    "id": "after",
                    "label": AFTER_LABEL,
                    "here": compat.HAS_BUILTIN_PARTIALS,
                    "code": frame.highlight(after, "python"),
                },
            ],
            "diff": diff_lines(before, after),
            "changes": TEMPLATE_CHANGES,
        },
    )
