"""What a demo is: an app whose ``AppConfig`` describes it to the home page and the URLconf.

A new demo is a folder with an ``apps.py`` subclassing :class:`DemoConfig` and
one ``INSTALLED_APPS`` line; nothing at the top level names it.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from django.apps import AppConfig, apps
from django.core.checks import CheckMessage, Error, Tags, register

from django_six_demos import compat

# The gated features the site itself needs: every page is a partial-rendering
# template under a strict CSP.
SITE_FEATURES = ("partials", "csp")


class Source(NamedTuple):
    """One package (or Django itself) providing part of a feature."""

    role: str
    provider: str
    # The release series ("6.1", "0.13"), never the exact release: pages show it.
    version: str | None
    is_core: bool

    @property
    def label(self) -> str:
        version = self.version or "not installed"
        return f"Django {version} (core)" if self.is_core else f"{self.provider} {version}"


def gated(role: str, feature: str) -> Source:
    """A feature that is in core on Django 6.0+ and a backport on 5.2."""
    return Source(role, *compat.feature_source(feature))


def package(role: str, distribution: str) -> Source:
    """A feature that a package provides on every Django line."""
    return Source(role, distribution, compat.distribution_series(distribution), False)


class DemoConfig(AppConfig):
    """Base ``AppConfig`` of a demo: its title, summary, URL prefix and feature sources.

    Its ``apps.py`` is imported at settings time (``conf`` discovers demos), so
    it may import nothing that reads settings or models.
    """

    # Not a candidate for Django's default AppConfig of an apps.py that imports
    # this class; each subclass is (see __init_subclass__).
    default = False
    title: str
    summary: str
    # Mounted at this path below the URLconf that includes django_six_demos.urls.
    url_prefix: str
    # The demo's landing page; "<label>:index" unless the demo says otherwise.
    index_url_name: str = ""
    # Place on the home page and in conf.DEMOS.
    order: int = 100
    # Gated features ("tasks") the demo needs beyond SITE_FEATURES.
    features: tuple[str, ...] = ()
    # Apps listed before the demo by conf.installed_apps().
    extra_apps: tuple[str, ...] = ()
    # Middleware conf.middleware() puts just outside the CSP middleware.
    middleware: tuple[str, ...] = ()
    # Third-party modules the demo imports: {module: install command}. When one is
    # missing the demo's URLs stay out and a system check names the command.
    requires: Mapping[str, str] = {}
    # Django 6.0 changed DEFAULT_AUTO_FIELD's default; pinning it keeps the
    # migrations identical on Django 5.2, 6.0 and 6.1.
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

    def stylesheet(self) -> str | None:
        """The static path of the demo's stylesheet, linked by the base template."""
        return f"django_six_demos/{self.slug}/{self.slug}.css"

    def sources(self) -> list[Source]:
        """Where the demo's feature comes from on the running Django line."""
        return []

    def missing(self) -> dict[str, str]:
        """The required modules that cannot be imported, with their install commands."""
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
        """What a demo page's template needs to describe its demo."""
        return {"room": self, "sources": self.sources()}


def backports(demos: Iterable[type[DemoConfig]]) -> list[compat.Backport]:
    """The backports the site and ``demos`` need on this Django line (none on 6.0+)."""
    features = {*SITE_FEATURES, *(feature for demo in demos for feature in demo.features)}
    # On Django 5.2 a feature's provider is its backport's distribution.
    providers = {compat.feature_source(feature).provider for feature in features}
    return [b for b in compat.required_backports() if b.distribution in providers]


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
    """The installed demos, in INSTALLED_APPS order."""
    return [config for config in apps.get_app_configs() if isinstance(config, DemoConfig)]


def demo_for(module: str) -> DemoConfig:
    """The demo that contains ``module`` (pass ``__name__``)."""
    config = apps.get_containing_app_config(module)
    if not isinstance(config, DemoConfig):
        raise LookupError(f"{module} is not inside an installed demo.")
    return config
