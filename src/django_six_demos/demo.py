"""What a demo is: an app whose ``AppConfig`` describes it to the home page and the URLconf.

A new demo is a folder with an ``apps.py`` subclassing :class:`DemoConfig`; nothing at the top
level names it.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Iterable, Mapping
from importlib import metadata
from typing import Any, NamedTuple

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from django_six_demos import compat

# Every page is a partial-rendering template under a strict CSP.
SITE_FEATURES = ("partials", "csp")

# Where the tutorial lives; a project serving its own build of docs/ sets the setting.
DOCS_URL_SETTING = "DJANGO_SIX_DEMOS_DOCS_URL"
DEFAULT_DOCS_URL = "https://django-six-demos.readthedocs.io/en/latest/"


def docs_url(page: str = "") -> str:
    """Return the URL of a page of this project's docs ("tutorial/index"), or of their root."""
    base = str(getattr(settings, DOCS_URL_SETTING, DEFAULT_DOCS_URL))
    base = base if base.endswith("/") else f"{base}/"
    return f"{base}{page}.html" if page else base


def release_series(version: str) -> str:
    """Return the first two numbers of ``version`` ("6.1.3" -> "6.1"): what pages print."""
    match = re.match(r"\d+(?:\.\d+)?", version)
    return match[0] if match else version


def distribution_series(name: str) -> str | None:
    """Return the release series of an installed distribution, or None."""
    try:
        return release_series(metadata.version(name))
    except metadata.PackageNotFoundError:
        return None


class Source(NamedTuple):
    """One package (or Django itself) providing part of a feature."""

    role: str
    provider: str
    version: str | None  # The release series, never the exact release.
    is_core: bool

    @property
    def label(self) -> str:
        version = self.version or "not installed"
        return f"Django {version} (core)" if self.is_core else f"{self.provider} {version}"


def package(role: str, distribution: str) -> Source:
    """Return the source of a feature that a package provides on every Django line."""
    return Source(role, distribution, distribution_series(distribution), False)


def gated(role: str, feature: str) -> Source:
    """Return where ``feature`` ("partials", "csp" or "tasks") comes from: core, or its backport."""
    for backport in compat.required_backports():
        if backport.feature == feature:
            return package(role, backport.distribution)
    return Source(role, "Django", compat.DJANGO_LINE, True)


class DemoConfig(AppConfig):
    """Base ``AppConfig`` of a demo: its title, summary, URL prefix and feature sources.

    ``conf`` imports ``apps.py`` at settings time: it may import nothing that reads settings.
    """

    # Not the default AppConfig of an apps.py that imports it; each subclass is.
    default = False
    title: str
    summary: str
    url_prefix: str
    # The demo's landing page; "<label>:index" unless the demo says otherwise.
    index_url_name: str = ""
    order: int = 100
    # Gated features ("tasks") the demo needs beyond SITE_FEATURES.
    features: tuple[str, ...] = ()
    # Apps listed before the demo by conf.installed_apps().
    extra_apps: tuple[str, ...] = ()
    # Middleware conf.middleware() puts just outside the CSP middleware.
    middleware: tuple[str, ...] = ()
    # {module: install command}: while one is missing, the URLs stay out and E020 names it.
    requires: Mapping[str, str] = {}
    # Where to read more: the room page links each one, and a test follows them.
    # The tutorial chapter, as docs/<chapter>.rst names it: "tutorial/03-tasks".
    chapter: str = ""
    # Django's documentation of the feature, or of what a package's demo builds on.
    django_docs: str = ""
    django_docs_title: str = ""
    # The Django release that added the feature ("6.0") and its release notes; both
    # empty for a demo of a package, which the home page lists apart.
    added_in: str = ""
    release_notes: str = ""
    # {distribution: URL of its docs} for the packages the demo shows.
    package_docs: Mapping[str, str] = {}
    # Django 6.0 changed DEFAULT_AUTO_FIELD's default: the migrations stay the same on every line.
    default_auto_field = "django.db.models.BigAutoField"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.default = cls.__dict__.get("default", True)

    @property
    def slug(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    @property
    def url_name(self) -> str:
        return self.index_url_name or f"{self.label}:index"

    @property
    def urls_module(self) -> str:
        return f"{self.name}.urls"

    @property
    def chapter_url(self) -> str:
        """The tutorial chapter's URL under ``DJANGO_SIX_DEMOS_DOCS_URL``, or "" without one."""
        return docs_url(self.chapter) if self.chapter else ""

    @property
    def is_django_feature(self) -> bool:
        """Whether Django itself added what the demo shows (else a package completes it)."""
        return bool(self.added_in)

    def stylesheet(self) -> str | None:
        """Return the static path of the demo's stylesheet, linked by the base template."""
        return f"django_six_demos/{self.slug}/{self.slug}.css"

    def sources(self) -> list[Source]:
        """Return where the demo's features come from on the running Django line."""
        return []

    def missing(self) -> dict[str, str]:
        """Return the required modules that cannot be imported, with their install commands."""
        return {m: cmd for m, cmd in self.requires.items() if importlib.util.find_spec(m) is None}

    @property
    def available(self) -> bool:
        return not self.missing()

    def ready(self) -> None:
        register(check_requirements, Tags.compatibility)
        # A demo's checks.py registers its checks with @register as it is imported.
        if importlib.util.find_spec(f"{self.name}.checks") is not None:
            importlib.import_module(f"{self.name}.checks")

    def context(self) -> dict[str, Any]:
        """Return what a demo page's template needs to describe its demo."""
        return {"room": self, "sources": self.sources()}


def backports(demos: Iterable[type[DemoConfig]]) -> list[compat.Backport]:
    """Return the backports the site and ``demos`` need on this Django line (none on 6.0+)."""
    features = {*SITE_FEATURES, *(feature for demo in demos for feature in demo.features)}
    return [b for b in compat.required_backports() if b.feature in features]


def check_requirements(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E020: an installed demo's third-party package is missing."""
    return [
        Error(
            f"The {demo.title} demo needs {module!r}, which is not installed.",
            hint=command,
            obj=demo.name,
            id="django_six_demos.E020",
        )
        for demo in installed_demos()
        for module, command in demo.missing().items()
    ]


def installed_demos() -> list[DemoConfig]:
    """Return the installed demos, in INSTALLED_APPS order."""
    return [config for config in apps.get_app_configs() if isinstance(config, DemoConfig)]


def demo_for(module: str) -> DemoConfig:
    """Return the demo that contains ``module`` (pass ``__name__``)."""
    config = apps.get_containing_app_config(module)
    if not isinstance(config, DemoConfig):
        raise LookupError(f"{module} is not inside an installed demo.")
    return config
