"""The template settings of the partials chapter, on Django 6.0+ and on 5.2.

On Django 6.0 and later partials need no setting at all; on 5.2 they come from
django-template-partials, wired here so that ``talks.html`` needs no ``{% load %}``.
"""

from __future__ import annotations

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

# Django 6.0 and later: {% partialdef %}, {% partial %} and "talks.html#talk-row"
# are built in, so the engine is the one startproject writes.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {},
    },
]

# [django-52]
# Django 5.2 with django-template-partials: INSTALLED_APPS gets
# "template_partials.apps.SimpleAppConfig", its loader wraps the cached one
# (it resolves "talks.html#talk-row") and its tags become builtins.
TEMPLATES_DJANGO_52 = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    [
                        (
                            "django.template.loaders.cached.Loader",
                            [
                                "django.template.loaders.filesystem.Loader",
                                "django.template.loaders.app_directories.Loader",
                            ],
                        ),
                    ],
                ),
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
]
# [/django-52]
