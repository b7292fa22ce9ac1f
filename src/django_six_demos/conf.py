"""Settings helpers: plain values that add the demos to a project on the running Django line.

The demos are found in the package, not listed here.
"""

from __future__ import annotations

import copy
import enum
import importlib
import importlib.util
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from django_six_demos import compat, csp_policy
from django_six_demos.csp_policy import NONCE, NONE, SELF, STRICT_DYNAMIC, Directives
from django_six_demos.demo import DemoConfig, backports


def discover(package: str) -> dict[str, type[DemoConfig]]:
    """Return the demos in ``package``: subpackages whose ``apps`` defines a DemoConfig subclass."""
    found: dict[str, type[DemoConfig]] = {}
    for root in importlib.import_module(package).__path__:
        for folder in Path(root).iterdir():
            if not (folder / "__init__.py").is_file() or not (folder / "apps.py").is_file():
                continue
            module = importlib.import_module(f"{package}.{folder.name}.apps")
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, DemoConfig)
                    and value.__module__ == module.__name__
                ):
                    found[folder.name] = value
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))


DEMO_CONFIGS: Final = discover("django_six_demos")
# Every demo in the package, in the order of the home page: ("partials", "csp", ...).
DEMOS: Final = tuple(DEMO_CONFIGS)

HTMX_MIDDLEWARE: Final = "django_htmx.middleware.HtmxMiddleware"
FRAME_MIDDLEWARE: Final = "django_six_demos.frame.middleware.DemoFrameMiddleware"
# {group: url} for the Reporting-Endpoints header; demo_settings(csp_report_uri=...) sets it.
REPORTING_ENDPOINTS_SETTING: Final = "DJANGO_SIX_DEMOS_REPORTING_ENDPOINTS"
CSP_REPORT_GROUP: Final = "csp"
DJANGO_TEMPLATES: Final = "django.template.backends.django.DjangoTemplates"
# A queue each for emails and exports: demos_worker serves them all, and a worker may serve
# one (demos_worker --queue-name emails).
TASK_QUEUES: Final = ("default", "emails", "exports")

_SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"
_WHITENOISE_MIDDLEWARE = "whitenoise.middleware.WhiteNoiseMiddleware"
_COMMON_MIDDLEWARE = "django.middleware.common.CommonMiddleware"
_GZIP_MIDDLEWARE = "django.middleware.gzip.GZipMiddleware"


class _Reports(enum.Enum):
    COLLECTOR = "the CSP report collector of a demo"

    def __repr__(self) -> str:
        return "CSP_COLLECTOR"


# demo_settings()' default csp_report_uri: the URL name a demo gives for its collector
# (its config's csp_report_url_name). The demo's middleware reverses it on each request,
# so reports follow wherever the demos' URLs are included.
CSP_COLLECTOR: Final = _Reports.COLLECTOR


def demo_configs(demos: Iterable[str] = DEMOS) -> list[type[DemoConfig]]:
    """Return the config classes of ``demos``, in the order of :data:`DEMOS`."""
    demos = set(demos)
    unknown = sorted(demos - set(DEMOS))
    if unknown:
        raise ValueError(f"Unknown demos {unknown}; choose from {list(DEMOS)}.")
    return [config for name, config in DEMO_CONFIGS.items() if name in demos]


def _importable(module: str) -> bool:
    return importlib.util.find_spec(module.split(".")[0]) is not None


def installed_apps(*, demos: Iterable[str] = DEMOS) -> list[str]:
    """Return the INSTALLED_APPS entries for ``demos`` and what they need.

    An app that cannot be imported is left out, so that E001 or E020 says what to install.
    """
    configs = demo_configs(demos)
    apps = [b.app for b in backports(configs) if _importable(b.module)]
    apps.append("django_htmx")
    for config in configs:
        if all(_importable(b.module) for b in backports([config])):
            apps += [a for a in config.extra_apps if _importable(a) and a not in apps]
    apps += ["django_six_demos", "django_six_demos.conference"]
    return apps + [config.name for config in configs]


def middleware(existing: Sequence[str] = (), *, demos: Iterable[str] = DEMOS) -> list[str]:
    """Return ``existing`` MIDDLEWARE plus the frame, CSP, htmx and the demos' middleware.

    Entries already present stay where they are.
    """
    result = list(existing)
    # The frame sees every header on the way out, but cannot read gzipped bodies.
    if FRAME_MIDDLEWARE not in result:
        gzip = result.index(_GZIP_MIDDLEWARE) + 1 if _GZIP_MIDDLEWARE in result else 0
        result.insert(gzip, FRAME_MIDDLEWARE)
    # Static files (WhiteNoise) need no policy.
    if compat.CSP_MIDDLEWARE not in result:
        anchors = [
            i
            for i, name in enumerate(result)
            if name in (FRAME_MIDDLEWARE, _SECURITY_MIDDLEWARE, _WHITENOISE_MIDDLEWARE)
        ]
        result.insert(max(anchors) + 1 if anchors else 0, compat.CSP_MIDDLEWARE)
    for config in demo_configs(demos):
        for name in config.middleware:
            if name not in result:
                result.insert(result.index(compat.CSP_MIDDLEWARE), name)
    if HTMX_MIDDLEWARE not in result:
        if _COMMON_MIDDLEWARE in result:
            result.insert(result.index(_COMMON_MIDDLEWARE) + 1, HTMX_MIDDLEWARE)
        else:
            result.append(HTMX_MIDDLEWARE)
    return result


_DEFAULT_CONTEXT_PROCESSORS: Final = (
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
)


def templates(existing: Sequence[Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Return TEMPLATES with the first Django engine set up for partials and the nonce."""
    if existing is None:
        existing = [
            {
                "BACKEND": DJANGO_TEMPLATES,
                "DIRS": [],
                "OPTIONS": {"context_processors": list(_DEFAULT_CONTEXT_PROCESSORS)},
            }
        ]
    result = [copy.deepcopy(dict(backend)) for backend in existing]
    django_backends = [b for b in result if b.get("BACKEND") == DJANGO_TEMPLATES]
    if not django_backends:
        raise ValueError("TEMPLATES has no DjangoTemplates backend to configure.")
    backend = django_backends[0]
    # "loaders" excludes APP_DIRS; the loaders below include the app directories loader.
    backend.pop("APP_DIRS", None)
    options = backend.setdefault("OPTIONS", {})
    partials = compat.partials_settings()
    options["loaders"] = partials["loaders"]
    builtins = list(options.get("builtins", []))
    options["builtins"] = builtins + [b for b in partials["builtins"] if b not in builtins]
    processors = list(options.get("context_processors", []))
    for processor in ("django.template.context_processors.request", compat.CSP_CONTEXT_PROCESSOR):
        if processor not in processors:
            processors.append(processor)
    options["context_processors"] = processors
    return result


def strict_policy(
    *,
    report_uri: str | None = None,
    report_to: str | None = None,
    extra: Directives | None = None,
) -> dict[str, Any]:
    """Return the strict nonce policy as neutral directives, plus ``extra``'s sources."""
    policy: dict[str, Any] = {
        "default-src": [NONE],
        "script-src": [NONCE, STRICT_DYNAMIC],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
    if report_uri:
        policy["report-uri"] = [report_uri]
    if report_to:
        policy["report-to"] = [report_to]
    if extra:
        policy = csp_policy.merge_directives(policy, extra)
    return policy


def strict_csp(
    *,
    report_uri: str | None = None,
    report_to: str | None = None,
    report_only: bool = False,
    extra: Directives | None = None,
) -> dict[str, Any]:
    """Return this Django line's CSP setting (or its report-only twin) holding the strict policy."""
    policy = strict_policy(report_uri=report_uri, report_to=report_to, extra=extra)
    return compat.csp_settings(report_only=policy) if report_only else compat.csp_settings(policy)


def tasks_setting(*, queues: Sequence[str] = TASK_QUEUES) -> dict[str, Any]:
    """Return a TASKS setting whose default backend is django-tasks-db's."""
    return {"default": {"BACKEND": compat.DATABASE_TASK_BACKEND, "QUEUES": list(queues)}}


def collector_url_name(demos: Iterable[str] = DEMOS) -> str | None:
    """Return the URL name of the CSP report collector one of ``demos`` has, if any."""
    for config in demo_configs(demos):
        name = getattr(config, "csp_report_url_name", "")
        if name:
            return str(name)
    return None


def demo_settings(
    middleware_setting: Sequence[str],
    templates_setting: Sequence[Mapping[str, Any]] | None = None,
    *,
    csp_report_uri: str | None | _Reports = CSP_COLLECTOR,
    demos: Iterable[str] = DEMOS,
) -> dict[str, Any]:
    """Return MIDDLEWARE, TEMPLATES, the strict CSP and TASKS for ``demos``.

    The policy reports through both report-uri and report-to to ``csp_report_uri``: by
    default (:data:`CSP_COLLECTOR`) the csp demo's collector, by a URL name that the demo's
    middleware resolves on each request (no reports without the csp demo). A path, an
    absolute URL or another URL name overrides it; ``None`` asks for no reports.
    """
    demos = list(demos)
    if csp_report_uri is CSP_COLLECTOR:
        csp_report_uri = collector_url_name(demos)
    result: dict[str, Any] = {
        "MIDDLEWARE": middleware(middleware_setting, demos=demos),
        "TEMPLATES": templates(templates_setting),
        **strict_csp(
            report_uri=csp_report_uri,
            report_to=CSP_REPORT_GROUP if csp_report_uri else None,
        ),
    }
    if any("tasks" in config.features for config in demo_configs(demos)):
        result["TASKS"] = tasks_setting()
    if csp_report_uri:
        result[REPORTING_ENDPOINTS_SETTING] = {CSP_REPORT_GROUP: csp_report_uri}
    return result
