"""Migrate from django-csp to Django's built-in Content Security Policy.

Django 6.0 added ``ContentSecurityPolicyMiddleware``, ``SECURE_CSP`` and the
``csp_override`` decorators. The settings on this page are not written out by
hand: both stacks' come from ``compat.csp_settings_for()`` and the one policy
this site runs, so the page stays true on every Django line.
https://docs.djangoproject.com/en/6.0/ref/csp/
https://django-csp.readthedocs.io/
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from django_six_demos import compat, conf, frame, rooms
from django_six_demos.settings_diff import DiffLine, settings_diff

BEFORE_LABEL: Final = "Django 5.2 with django-csp"
AFTER_LABEL: Final = "Django 6.0 and later, core"

# django-csp's context processor gives templates CSP_NONCE; core's, csp_nonce.
DJANGO_CSP_CONTEXT_PROCESSOR: Final = "csp.context_processors.nonce"
CORE_CSP_CONTEXT_PROCESSOR: Final = "django.template.context_processors.csp"
SECURITY_MIDDLEWARE: Final = "django.middleware.security.SecurityMiddleware"
_INDENT: Final = "    "
# Leaves room for a directive name before an inline list.
_INLINE_WIDTH: Final = 72


def site_policies() -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Return the enforced and report-only policies this site runs, as neutral directives.

    Without an enforced policy in the settings, the strict policy of
    ``conf.strict_policy()`` stands in.
    """
    policies = compat.configured_policies()
    return policies["enforce"] or conf.strict_policy(), policies["report-only"] or None


def python_literal(value: Any, depth: int = 0) -> str:
    """Format ``value`` as Python source with trailing commas, as ruff would.

    A list of plain values that fits on a line stays on one; otherwise one
    item per line. Strings get double quotes; ``...`` stands for "whatever
    else is there"; other values print as their ``repr()`` (so compat's nonce
    stand-ins print as ``CSP.NONCE`` or ``NONCE``).
    """
    if value is Ellipsis:
        return "..."
    if isinstance(value, str):
        return f'"{value}"' if '"' not in value and "\\" not in value else repr(value)
    if isinstance(value, Mapping):
        opening, closing = "{", "}"
        items = [f"{python_literal(k)}: {python_literal(v, depth + 1)}" for k, v in value.items()]
    elif isinstance(value, list):
        opening, closing = "[", "]"
        items = [python_literal(item, depth + 1) for item in value]
        inline = f"[{', '.join(items)}]"
        if not any(isinstance(item, (Mapping, list)) for item in value) and (
            len(_INDENT * (depth + 1)) + len(inline) <= _INLINE_WIDTH
        ):
            return inline
    else:
        return repr(value)
    if not items:
        return opening + closing
    lines = [f"{_INDENT * (depth + 1)}{item}," for item in items]
    return "\n".join([opening, *lines, _INDENT * depth + closing])


def _imports(value: Any) -> set[str]:
    if isinstance(value, Mapping):
        return set().union(*(_imports(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_imports(v) for v in value))
    imports = getattr(value, "imports", None)
    return {imports} if isinstance(imports, str) else set()


def settings_code(
    directives: compat.Directives, *, report_only: compat.Directives | None = None, core: bool
) -> str:
    """Return the CSP part of a ``settings.py`` for either stack.

    ``core=False``: Django 5.2 with django-csp. ``core=True``: Django 6.0+.
    ``INSTALLED_APPS``, ``MIDDLEWARE`` and ``TEMPLATES`` are the project's own,
    defined earlier in the file.
    """
    policy = compat.csp_settings_for(directives, report_only=report_only, core=core)
    imports = sorted(_imports(policy))
    lines = [*imports, ""] if imports else []
    if not core:
        lines.append('INSTALLED_APPS += ["csp"]')
    middleware = compat.CORE_CSP_MIDDLEWARE if core else compat.DJANGO_CSP_MIDDLEWARE
    processor = CORE_CSP_CONTEXT_PROCESSOR if core else DJANGO_CSP_CONTEXT_PROCESSOR
    lines += [
        # Right after SecurityMiddleware (and WhiteNoise, if any).
        f"MIDDLEWARE = {python_literal([SECURITY_MIDDLEWARE, middleware, ...])}",
        f'TEMPLATES[0]["OPTIONS"]["context_processors"] += ["{processor}"]',
        *(f"{name} = {python_literal(value)}" for name, value in policy.items()),
    ]
    return "\n".join(lines) + "\n"


def diff_lines(before: str, after: str) -> list[DiffLine]:
    """Return the unified diff from ``before`` to ``after``, line by line, classified."""
    return settings_diff(before, after, before_label=BEFORE_LABEL, after_label=AFTER_LABEL)


class Change(NamedTuple):
    """One thing to rewrite when moving from django-csp to core."""

    before: str
    after: str
    why: str
    # False: before and after are prose, not code.
    is_code: bool = True


CHANGES: Final[Sequence[Change]] = (
    Change(
        'CONTENT_SECURITY_POLICY = {"DIRECTIVES": {...}}',
        "SECURE_CSP = {...}",
        "Core's setting is the directives themselves, with no DIRECTIVES key.",
    ),
    Change(
        "CONTENT_SECURITY_POLICY_REPORT_ONLY",
        "SECURE_CSP_REPORT_ONLY",
        "Same change for the report-only policy.",
    ),
    Change(
        "from csp.constants import NONCE, SELF",
        "from django.utils.csp import CSP  # CSP.NONCE, CSP.SELF",
        "django-csp's NONCE is an object of its own, unknown to core. Core's CSP enum also "
        "has SELF, NONE, STRICT_DYNAMIC, UNSAFE_INLINE...; plain strings like \"'self'\" "
        "work on both.",
    ),
    Change(
        '"EXCLUDE_URL_PREFIXES", "REPORT_PERCENTAGE"',
        "No setting: decorate those views with csp_override({})",
        "Core has no prefix exclusion and no report sampling.",
    ),
    Change(
        "@csp({...})",
        "@csp_override({...})",
        "Both serve the view under exactly this policy.",
    ),
    Change(
        '@csp_replace({"img-src": [...]})',
        '@csp_override({**settings.SECURE_CSP, "img-src": [...]})',
        "django-csp replaces the named directives and keeps the rest; core's override "
        "replaces the whole policy, so start from the site's.",
    ),
    Change(
        '@csp_update({"img-src": ["data:"]})',
        '@compat.csp_extend({"img-src": ["data:"]})',
        "Core has no merging decorator. This project's compat.csp_extend appends the "
        "sources to the site policy on each request (csp_override of the merged policy).",
    ),
    Change(
        "@csp_exempt()",
        "@csp_override({}) and @csp_report_only_override({})",
        "An empty config removes the header. csp_exempt() drops only the enforced header "
        "(REPORT_ONLY=True the other); compat.csp_disable() does both.",
    ),
    Change(
        "@csp_update({...}, REPORT_ONLY=True)",
        "@csp_report_only_override({...})",
        "Core has one decorator per header instead of a REPORT_ONLY argument.",
    ),
    Change(
        "{% load csp %}{% script %}…{% endscript %}",
        '<script nonce="{{ csp_nonce }}">…</script>',
        "Core has no script tag; the nonce attribute is plain HTML. Without django-csp, "
        "{% load csp %} raises TemplateSyntaxError.",
    ),
    Change(
        "{{ CSP_NONCE }}",
        "{{ csp_nonce }}",
        "Core's context processor names it csp_nonce (as django-htmx's {% htmx_script %} "
        "expects). Django 6.1 also has {% csp_nonce_attr %}.",
    ),
    Change(
        "request.csp_nonce",
        "django.middleware.csp.get_nonce(request)",
        "Core keeps the nonce in the private request._csp_nonce; get_nonce() is the public "
        "way (compat.get_nonce on both lines).",
    ),
    Change(
        "A 24-character nonce, standard base64 (+, / and ==)",
        "A 22-character nonce, URL-safe base64",
        "Both carry 16 random bytes. Code that parses or stores nonces must accept both.",
        is_code=False,
    ),
    Change(
        "No header on any 404 or 500 response while DEBUG is True",
        "No header on Django's technical 404 and 500 pages only",
        "A view's own 404 or 500 response gets the policy on core, even in DEBUG.",
        is_code=False,
    ),
    Change(
        "Reading the nonce after the header is written raises CSPNonceError",
        "A nonce first read after the header is written is simply not in it",
        "Either way the script it marks is blocked: read the nonce while rendering.",
        is_code=False,
    ),
)


@require_GET
def migrate(request: HttpRequest) -> TemplateResponse:
    """The migration how-to, generated from the policy this site runs."""
    enforce, report_only = site_policies()
    before = settings_code(enforce, report_only=report_only, core=False)
    after = settings_code(enforce, report_only=report_only, core=True)
    source = compat.feature_source("csp")
    return TemplateResponse(
        request,
        "django_six_demos/csp/migrate.html",
        {
            "room": rooms.ROOMS_BY_SLUG["csp"],
            "source": rooms.Source("Content Security Policy", *source),
            "on_core": compat.HAS_BUILTIN_CSP,
            "context_processor": compat.CSP_CONTEXT_PROCESSOR,
            "columns": [
                {
                    "id": "before",
                    "label": BEFORE_LABEL,
                    "here": not compat.HAS_BUILTIN_CSP,
                    "code": frame.highlight(before, "python"),
                },
                {
                    "id": "after",
                    "label": AFTER_LABEL,
                    "here": compat.HAS_BUILTIN_CSP,
                    "code": frame.highlight(after, "python"),
                },
            ],
            "diff": diff_lines(before, after),
            "changes": CHANGES,
        },
    )
