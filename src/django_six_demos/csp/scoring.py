"""Offline header scoring: the rules of Google's CSP Evaluator and Mozilla's HTTP Observatory.

Content Security Policy (Django 6.0; django-csp on Django 5.2) is only as good
as the policy it sends, and the two graders most people paste a site into are
online services. This module re-implements their rules so that tests and the
CSP room's score page can grade a response offline:

- :func:`evaluate_policy`: the CSP Evaluator's checks (``google/csp-evaluator``,
  ``checks/security_checks.ts``, ``parser_checks.ts``, ``strictcsp_checks.ts``),
  run on the policy as a CSP3 browser sees it, as its web page does.
- :func:`observatory_grade`: the HTTP Observatory's score (``mdn/mdn-http-observatory``,
  ``src/analyzer/tests/*.js``, ``src/grader/charts.js``) for CSP, X-Frame-Options,
  Referrer-Policy, X-Content-Type-Options, HSTS, redirection, cookies,
  Cross-Origin-Resource-Policy and Cross-Origin-Opener-Policy, with its
  extra-credit rule.

Written by us from the rules' descriptions; each rule is tested against
policies crafted to trigger it (``tests/csp/test_scoring.py``). Simplified on
purpose: a few hosts stand for the Evaluator's JSONP and AngularJS bypass
lists; several CSP headers combine as an exact-match intersection; ``<meta>``
policies, subresource integrity, CORS and COEP are not graded (a Django page
scores 0 on the last three).
https://docs.djangoproject.com/en/6.0/ref/csp/
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final
from urllib.parse import urlsplit

from django.http.response import HttpResponseBase

Policy = dict[str, list[str]]

# -- Parsing -------------------------------------------------------------------------

KEYWORDS: Final = frozenset(
    {
        "'self'",
        "'none'",
        "'unsafe-inline'",
        "'unsafe-eval'",
        "'wasm-eval'",
        "'wasm-unsafe-eval'",
        "'strict-dynamic'",
        "'unsafe-hashed-attributes'",
        "'unsafe-hashes'",
        "'report-sample'",
        "'block'",
        "'allow'",
    }
)
FETCH_DIRECTIVES: Final = frozenset(
    {
        "child-src",
        "connect-src",
        "default-src",
        "font-src",
        "frame-src",
        "img-src",
        "manifest-src",
        "media-src",
        "object-src",
        "script-src",
        "script-src-attr",
        "script-src-elem",
        "style-src",
        "style-src-attr",
        "style-src-elem",
        "worker-src",
    }
)
DIRECTIVES: Final = FETCH_DIRECTIVES | {
    "prefetch-src",
    "base-uri",
    "plugin-types",
    "sandbox",
    "disown-opener",
    "form-action",
    "frame-ancestors",
    "navigate-to",
    "report-to",
    "report-uri",
    "block-all-mixed-content",
    "upgrade-insecure-requests",
    "reflected-xss",
    "referrer",
    "require-sri-for",
    "trusted-types",
    "require-trusted-types-for",
    "webrtc",
}

_SCHEME: Final = re.compile(r"^[a-zA-Z][+a-zA-Z0-9.-]*:$")
_NONCE: Final = re.compile(r"^'nonce-(.+)'$")
_STRICT_NONCE: Final = re.compile(r"^'nonce-[a-zA-Z0-9+/_-]+={0,2}'$")
_HASH: Final = re.compile(r"^'(sha256|sha384|sha512)-(.+)'$")
_IPV4: Final = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")


def is_nonce(source: str) -> bool:
    return bool(_NONCE.match(source))


def is_hash(source: str) -> bool:
    return bool(_HASH.match(source))


def parse_policy(policy: str) -> Policy:
    """Parse one serialized policy the way the CSP spec and the Evaluator do.

    Directive names are lowercased and the first occurrence of a name wins;
    keywords and bare schemes are lowercased; repeated sources are dropped.

    >>> parse_policy("Script-Src 'SELF' https: 'self'; script-src *")
    {'script-src': ["'self'", 'https:']}
    """
    parsed: Policy = {}
    for token in policy.split(";"):
        parts = token.split()
        if not parts or not token.isascii():
            continue
        name = parts[0].lower()
        if name in parsed:
            continue
        sources: list[str] = []
        for source in parts[1:]:
            lowered = source.lower()
            if lowered in KEYWORDS or _SCHEME.match(source):
                source = lowered
            if source not in sources:
                sources.append(source)
        parsed[name] = sources
    return parsed


# -- CSP Evaluator -------------------------------------------------------------------


class Severity(IntEnum):
    """The Evaluator's severities; lower is worse."""

    HIGH = 10
    SYNTAX = 20
    MEDIUM = 30
    HIGH_MAYBE = 40
    STRICT_CSP = 45
    MEDIUM_MAYBE = 50
    INFO = 60


@dataclass(frozen=True)
class Finding:
    """One problem the Evaluator reports."""

    check: str
    severity: Severity
    directive: str
    value: str | None
    description: str


# A few of the hosts the Evaluator knows to serve JSONP endpoints or AngularJS,
# either of which lets an attacker run script through a host allowlist. Its
# own lists are far longer; these stand for them.
JSONP_HOSTS: Final = frozenset(
    {
        "www.google.com",
        "accounts.google.com",
        "ajax.googleapis.com",
        "googletagmanager.com",
        "www.googletagmanager.com",
        "www.google-analytics.com",
        "graph.facebook.com",
    }
)
# JSONP on these works only with 'unsafe-eval'.
JSONP_NEEDS_EVAL: Final = frozenset(
    {"googletagmanager.com", "www.googletagmanager.com", "www.google-analytics.com"}
)
ANGULAR_HOSTS: Final = frozenset(
    {
        "gstatic.com",
        "www.gstatic.com",
        "ajax.googleapis.com",
        "cdnjs.cloudflare.com",
        "cdn.jsdelivr.net",
        "oss.maxcdn.com",
    }
)
_XSS_DIRECTIVES: Final = (
    "script-src",
    "script-src-attr",
    "script-src-elem",
    "object-src",
    "base-uri",
)
_XSS_SCHEMES: Final = ("data:", "http:", "https:")


def _effective_directive(policy: Policy, directive: str) -> str:
    """Return the directive that governs ``directive`` in ``policy`` (CSP3 fallbacks)."""
    if directive in policy:
        return directive
    # script-src-elem and -attr fall back to script-src; style-src-* likewise.
    for family in ("script-src", "style-src"):
        if directive.startswith(f"{family}-") and family in policy:
            return family
    # Other fetch directives fall back to default-src.
    if directive in FETCH_DIRECTIVES:
        return "default-src"
    return directive


def _effective_directives(policy: Policy, directives: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(_effective_directive(policy, d) for d in directives))


_SCRIPT_DIRECTIVES: Final = ("script-src", "script-src-attr", "script-src-elem")


def _script_sources(policy: Policy, directive: str = "script-src") -> list[str]:
    return policy.get(_effective_directive(policy, directive), [])


def _has_nonce(policy: Policy, directive: str = "script-src") -> bool:
    return any(is_nonce(s) for s in _script_sources(policy, directive))


def _has_hash(policy: Policy, directive: str = "script-src") -> bool:
    return any(is_hash(s) for s in _script_sources(policy, directive))


def _has_strict_dynamic(policy: Policy, directive: str = "script-src") -> bool:
    return "'strict-dynamic'" in _script_sources(policy, directive)


def effective_policy(policy: Policy) -> Policy:
    """Return ``policy`` as a CSP3 browser enforces it.

    In each directive governing scripts, a nonce or hash disables
    ``'unsafe-inline'``, and ``'strict-dynamic'`` also disables host and scheme
    sources and ``'self'``.
    """
    effective = {name: list(sources) for name, sources in policy.items()}
    for directive in _effective_directives(policy, _SCRIPT_DIRECTIVES):
        if directive not in effective:
            continue
        values = effective[directive]
        if _has_nonce(policy, directive) or _has_hash(policy, directive):
            values[:] = [s for s in values if s != "'unsafe-inline'"]
        if _has_strict_dynamic(policy, directive):
            values[:] = [s for s in values if s.startswith("'") and s != "'self'"]
    return effective


def _scheme_free(source: str) -> str:
    return re.sub(r"^\w[+\w.-]*://", "", source).removeprefix("//")


def _host(source: str) -> str:
    host = _scheme_free(source)
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.split("/", 1)[0].split(":", 1)[0]


def _host_matches(source_host: str, known: str) -> bool:
    if source_host.startswith("*."):
        return known.endswith(source_host[1:])
    return source_host == known


def _check_unsafe_inline(policy: Policy) -> list[Finding]:
    findings = []
    for directive in _effective_directives(policy, _SCRIPT_DIRECTIVES):
        values = policy.get(directive, [])
        if "'unsafe-inline'" in values:
            findings.append(
                Finding(
                    "script-unsafe-inline",
                    Severity.HIGH,
                    directive,
                    "'unsafe-inline'",
                    "'unsafe-inline' lets injected inline scripts and event handlers run.",
                )
            )
        if "'unsafe-hashes'" in values:
            findings.append(
                Finding(
                    "script-unsafe-hashes",
                    Severity.MEDIUM_MAYBE,
                    directive,
                    "'unsafe-hashes'",
                    "'unsafe-hashes' runs event handlers whose hash is listed; move them "
                    "to script files.",
                )
            )
    return findings


def _check_unsafe_eval(policy: Policy) -> list[Finding]:
    return [
        Finding(
            "script-unsafe-eval",
            Severity.MEDIUM_MAYBE,
            directive,
            "'unsafe-eval'",
            "'unsafe-eval' lets code injected into eval() and similar APIs run.",
        )
        for directive in _effective_directives(policy, _SCRIPT_DIRECTIVES)
        if "'unsafe-eval'" in policy.get(directive, [])
    ]


def _check_plain_schemes_and_wildcards(policy: Policy) -> list[Finding]:
    findings = []
    directives = _effective_directives(policy, _XSS_DIRECTIVES)
    for directive in directives:
        for value in policy.get(directive, []):
            if value in _XSS_SCHEMES:
                findings.append(
                    Finding(
                        "plain-url-scheme",
                        Severity.HIGH,
                        directive,
                        value,
                        f"{value} in {directive} allows scripts from anywhere over it.",
                    )
                )
    for directive in directives:
        for value in policy.get(directive, []):
            if _scheme_free(value) == "*":
                findings.append(
                    Finding(
                        "plain-wildcard",
                        Severity.HIGH,
                        directive,
                        value,
                        f"{directive} should not allow '*' as a source.",
                    )
                )
    return findings


def _check_missing_directives(policy: Policy) -> list[Finding]:
    findings = []
    objects = policy.get("object-src", policy.get("default-src"))
    if not objects:
        findings.append(
            Finding(
                "missing-object-src",
                Severity.HIGH,
                "object-src",
                None,
                "Without object-src, injected plugins can run script: set it to 'none'.",
            )
        )
    if "script-src" not in policy and "default-src" not in policy:
        findings.append(
            Finding(
                "missing-script-src",
                Severity.HIGH,
                "script-src",
                None,
                "script-src is missing.",
            )
        )
    needs_base_uri = _has_nonce(policy) or (_has_hash(policy) and _has_strict_dynamic(policy))
    if needs_base_uri and "base-uri" not in policy:
        findings.append(
            Finding(
                "missing-base-uri",
                Severity.HIGH,
                "base-uri",
                None,
                "Without base-uri, an injected <base> tag moves relative script URLs to "
                "another host: set it to 'none' or 'self'.",
            )
        )
    return findings


def _check_script_allowlist(policy: Policy) -> list[Finding]:
    findings = []
    for directive in _effective_directives(policy, ("script-src", "script-src-elem")):
        values = policy.get(directive, [])
        if "'none'" in values:
            continue
        for value in values:
            if value == "'self'":
                findings.append(
                    Finding(
                        "script-allowlist-bypass",
                        Severity.MEDIUM_MAYBE,
                        directive,
                        value,
                        "'self' can be bypassed if the site hosts JSONP, AngularJS or "
                        "user-uploaded files.",
                    )
                )
                continue
            if value.startswith("'") or _SCHEME.match(value) or "." not in value:
                continue
            host = _host(value)
            jsonp = any(_host_matches(host, known) for known in JSONP_HOSTS)
            if jsonp and "'unsafe-eval'" not in values:
                jsonp = any(_host_matches(host, known) for known in JSONP_HOSTS - JSONP_NEEDS_EVAL)
            angular = any(_host_matches(host, known) for known in ANGULAR_HOSTS)
            if jsonp or angular:
                served = " and ".join(
                    kind
                    for kind, found in (("JSONP endpoints", jsonp), ("AngularJS", angular))
                    if found
                )
                findings.append(
                    Finding(
                        "script-allowlist-bypass",
                        Severity.HIGH,
                        directive,
                        value,
                        f"{host} is known to host {served}, which bypass this policy.",
                    )
                )
            else:
                findings.append(
                    Finding(
                        "script-allowlist-bypass",
                        Severity.MEDIUM_MAYBE,
                        directive,
                        value,
                        "No bypass known; make sure this host serves no JSONP or AngularJS.",
                    )
                )
    return findings


def _check_object_allowlist(policy: Policy) -> list[Finding]:
    directive = _effective_directive(policy, "object-src")
    values = policy.get(directive, [])
    if "'none'" in values or directive != "object-src":
        return []
    return [
        Finding(
            "object-allowlist-bypass",
            Severity.MEDIUM_MAYBE,
            directive,
            value,
            "Can you restrict object-src to 'none' only?",
        )
        for value in values
    ]


def _check_ip_sources(policy: Policy) -> list[Finding]:
    findings = []
    for directive, values in policy.items():
        for value in values:
            host = _host(value)
            if _IPV4.match(host) or (host.startswith("[") and host.endswith("]")):
                description = (
                    f"{directive} allows localhost: remove it in production."
                    if host == "127.0.0.1"
                    else f"{directive} has an IP address as source, which browsers ignore."
                )
                findings.append(Finding("ip-source", Severity.INFO, directive, value, description))
    return findings


def _check_nonces(policy: Policy) -> list[Finding]:
    findings = []
    for directive, values in policy.items():
        for value in values:
            match = _NONCE.match(value)
            if not match:
                continue
            if len(match.group(1)) < 8:
                findings.append(
                    Finding(
                        "nonce-length",
                        Severity.MEDIUM,
                        directive,
                        value,
                        "Nonces should be at least 8 characters long.",
                    )
                )
            if not _STRICT_NONCE.match(value):
                findings.append(
                    Finding(
                        "nonce-charset",
                        Severity.INFO,
                        directive,
                        value,
                        "Nonces should only use the base64 charset.",
                    )
                )
    return findings


def _check_http_sources(policy: Policy) -> list[Finding]:
    return [
        Finding(
            "src-http",
            Severity.MEDIUM,
            directive,
            value,
            "Use HTTPS to send violation reports securely."
            if directive == "report-uri"
            else "Allow only resources downloaded over HTTPS.",
        )
        for directive, values in policy.items()
        for value in values
        if value.startswith("http://")
    ]


_DEPRECATED: Final = {
    "reflected-xss": "reflected-xss is deprecated since CSP2.",
    "referrer": "referrer is deprecated since CSP2: use the Referrer-Policy header.",
    "disown-opener": "disown-opener is deprecated since CSP3: use Cross-Origin-Opener-Policy.",
}


def _check_deprecated(policy: Policy) -> list[Finding]:
    return [
        Finding("deprecated-directive", Severity.INFO, directive, None, description)
        for directive, description in _DEPRECATED.items()
        if directive in policy
    ]


def _check_syntax(policy: Policy) -> list[Finding]:
    findings = []
    bare_keywords = {keyword.strip("'") for keyword in KEYWORDS}
    for directive, values in policy.items():
        if directive not in DIRECTIVES:
            description = (
                "CSP directives don't end with a colon."
                if directive.endswith(":")
                else f'"{directive}" is not a known CSP directive.'
            )
            findings.append(
                Finding("unknown-directive", Severity.SYNTAX, directive, None, description)
            )
        for value in values:
            if value in DIRECTIVES:
                findings.append(
                    Finding(
                        "missing-semicolon",
                        Severity.SYNTAX,
                        directive,
                        value,
                        f'Did you forget a semicolon? "{value}" is a directive, not a source.',
                    )
                )
            elif value in bare_keywords or re.match(r"^(nonce|sha256|sha384|sha512)-", value):
                findings.append(
                    Finding(
                        "invalid-keyword",
                        Severity.SYNTAX,
                        directive,
                        value,
                        f'Did you forget the single quotes around "{value}"?',
                    )
                )
            elif value.startswith("'") and not _valid_quoted(directive, value):
                findings.append(
                    Finding(
                        "invalid-keyword",
                        Severity.SYNTAX,
                        directive,
                        value,
                        f"{value} is not a CSP keyword.",
                    )
                )
    return findings


def _valid_quoted(directive: str, value: str) -> bool:
    if directive == "require-trusted-types-for":
        return value == "'script'"
    if directive == "trusted-types":
        return value == "'allow-duplicates'"
    return value in KEYWORDS or is_nonce(value) or is_hash(value)


def _check_strict_dynamic(policy: Policy) -> list[Finding]:
    directive = _effective_directive(policy, "script-src")
    values = policy.get(directive, [])
    findings = []
    if any(not v.startswith("'") for v in values) and "'strict-dynamic'" not in values:
        findings.append(
            Finding(
                "strict-dynamic",
                Severity.STRICT_CSP,
                directive,
                None,
                "Host allowlists can often be bypassed: use 'strict-dynamic' with nonces "
                "or hashes.",
            )
        )
    if "'strict-dynamic'" in values and not (_has_nonce(policy) or _has_hash(policy)):
        findings.append(
            Finding(
                "strict-dynamic-not-standalone",
                Severity.INFO,
                directive,
                None,
                "'strict-dynamic' without a nonce or hash blocks every script.",
            )
        )
    return findings


def _check_backward_compatibility(policy: Policy) -> list[Finding]:
    directive = _effective_directive(policy, "script-src")
    values = policy.get(directive, [])
    findings = []
    if (_has_nonce(policy) or _has_hash(policy)) and "'unsafe-inline'" not in values:
        findings.append(
            Finding(
                "unsafe-inline-fallback",
                Severity.STRICT_CSP,
                directive,
                None,
                "Consider 'unsafe-inline' (ignored by browsers that support nonces and "
                "hashes) for older browsers.",
            )
        )
    if "'strict-dynamic'" in values and not any(
        v in ("http:", "https:", "*") or "." in v for v in values
    ):
        findings.append(
            Finding(
                "allowlist-fallback",
                Severity.STRICT_CSP,
                directive,
                None,
                "Consider https: and http: (ignored by browsers that support "
                "'strict-dynamic') for older browsers.",
            )
        )
    return findings


def _check_trusted_types(policy: Policy) -> list[Finding]:
    if "'script'" in policy.get("require-trusted-types-for", []):
        return []
    return [
        Finding(
            "require-trusted-types-for-scripts",
            Severity.INFO,
            "require-trusted-types-for",
            None,
            "Consider require-trusted-types-for 'script' to lock down DOM XSS sinks.",
        )
    ]


_EFFECTIVE_CHECKS: Final[Sequence[Callable[[Policy], list[Finding]]]] = (
    _check_unsafe_inline,
    _check_unsafe_eval,
    _check_plain_schemes_and_wildcards,
    _check_missing_directives,
    _check_script_allowlist,
    _check_object_allowlist,
    _check_ip_sources,
    _check_nonces,
    _check_http_sources,
    _check_deprecated,
    _check_syntax,
)
# The strict-CSP checks look at the policy as written: they are about what
# older browsers, which ignore nonces or 'strict-dynamic', would do.
_WRITTEN_CHECKS: Final[Sequence[Callable[[Policy], list[Finding]]]] = (
    _check_strict_dynamic,
    _check_backward_compatibility,
    _check_trusted_types,
)


def evaluate_policy(policy: str | Policy) -> list[Finding]:
    """Return the CSP Evaluator's findings for one policy, worst first.

    ``policy`` is a header value or a :func:`parse_policy` result. The target
    for a strict policy is no ``HIGH``, ``MEDIUM`` or ``MEDIUM_MAYBE`` finding;
    the two ``STRICT_CSP`` hints ask for CSP2 fallbacks a CSP3 browser ignores.
    """
    parsed = parse_policy(policy) if isinstance(policy, str) else policy
    effective = effective_policy(parsed)
    findings = [finding for check in _EFFECTIVE_CHECKS for finding in check(effective)]
    findings += [finding for check in _WRITTEN_CHECKS for finding in check(parsed)]
    return sorted(findings, key=lambda finding: finding.severity)


def count_by_severity(findings: Iterable[Finding]) -> dict[Severity, int]:
    """Return how many findings there are of each severity (every severity listed)."""
    counts = dict.fromkeys(Severity, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts


# -- HTTP Observatory ----------------------------------------------------------------

# Bonuses count only if the score without them is at least this (an A).
MINIMUM_SCORE_FOR_EXTRA_CREDIT: Final = 90
GRADES: Final = (
    (100, "A+"),
    (90, "A"),
    (85, "A-"),
    (80, "B+"),
    (70, "B"),
    (65, "B-"),
    (60, "C+"),
    (50, "C"),
    (45, "C-"),
    (40, "D+"),
    (30, "D"),
    (25, "D-"),
    (0, "F"),
)

# Each result's score modifier and what it means.
RESULTS: Final[Mapping[str, tuple[int, str]]] = {
    # Content-Security-Policy
    "csp-implemented-with-no-unsafe-default-src-none": (
        10,
        "CSP without 'unsafe-inline' or 'unsafe-eval', and default-src 'none'.",
    ),
    "csp-implemented-with-no-unsafe": (5, "CSP without 'unsafe-inline' or 'unsafe-eval'."),
    "csp-implemented-with-unsafe-inline-in-style-src-only": (
        0,
        "CSP with unsafe sources in style-src only.",
    ),
    "csp-implemented-with-insecure-scheme-in-passive-content-only": (
        -10,
        "CSP lets an HTTPS site load images or media over HTTP.",
    ),
    "csp-implemented-with-unsafe-eval": (-10, "CSP allows 'unsafe-eval'."),
    "csp-implemented-with-unsafe-inline": (
        -20,
        "CSP allows 'unsafe-inline', data: or broad sources in script-src, or broad object-src.",
    ),
    "csp-implemented-with-insecure-scheme": (
        -20,
        "CSP lets an HTTPS site load resources over HTTP.",
    ),
    "csp-header-invalid": (-25, "The CSP header cannot be parsed."),
    "csp-not-implemented": (-25, "No Content-Security-Policy header."),
    "csp-not-implemented-but-reporting-enabled": (
        -25,
        "Only a report-only policy: nothing is enforced.",
    ),
    # Cookies
    "cookies-secure-with-httponly-sessions-and-samesite": (
        5,
        "Every cookie is Secure and has SameSite; session cookies are HttpOnly.",
    ),
    "cookies-secure-with-httponly-sessions": (
        0,
        "Every cookie is Secure; session cookies are HttpOnly; some lack SameSite.",
    ),
    "cookies-not-found": (0, "No cookies set."),
    "cookies-without-secure-flag-but-protected-by-hsts": (
        -5,
        "Cookies without Secure, but HSTS keeps them off HTTP.",
    ),
    "cookies-session-without-secure-flag-but-protected-by-hsts": (
        -10,
        "A session cookie without Secure, but HSTS keeps it off HTTP.",
    ),
    "cookies-without-secure-flag": (-20, "Cookies without Secure."),
    "cookies-samesite-flag-invalid": (-20, "A SameSite value other than Strict, Lax or None."),
    "cookies-anticsrf-without-samesite-flag": (-20, "An anti-CSRF cookie without SameSite."),
    "cookies-session-without-httponly-flag": (-30, "A session cookie without HttpOnly."),
    "cookies-session-without-secure-flag": (-40, "A session cookie without Secure."),
    # Redirection
    "redirection-all-redirects-preloaded": (0, "Every host redirected to is HSTS-preloaded."),
    "redirection-to-https": (0, "HTTP redirects to HTTPS on the same host first."),
    "redirection-not-needed-no-http": (0, "Nothing listens on HTTP."),
    "redirection-off-host-from-http": (-5, "HTTP redirects to HTTPS on another host first."),
    "redirection-not-to-https-on-initial-redirection": (
        -10,
        "HTTP redirects to HTTP before HTTPS.",
    ),
    "redirection-not-to-https": (-20, "HTTP redirects, but not to HTTPS."),
    "redirection-missing": (-20, "HTTP does not redirect to HTTPS."),
    # Referrer-Policy
    "referrer-policy-private": (5, "A private Referrer-Policy."),
    "referrer-policy-not-implemented": (0, "No Referrer-Policy header."),
    "referrer-policy-unsafe": (-5, "A Referrer-Policy that leaks URLs."),
    "referrer-policy-header-invalid": (-5, "The Referrer-Policy header is not recognised."),
    # Strict-Transport-Security
    "hsts-preloaded": (5, "Preloaded in browsers' HSTS list."),
    "hsts-implemented-max-age-at-least-six-months": (0, "HSTS for six months or more."),
    "hsts-implemented-max-age-less-than-six-months": (-10, "HSTS for less than six months."),
    "hsts-not-implemented": (-20, "No Strict-Transport-Security header."),
    "hsts-header-invalid": (-20, "The Strict-Transport-Security header is not recognised."),
    "hsts-not-implemented-no-https": (-20, "No HTTPS, so no HSTS."),
    # X-Content-Type-Options
    "x-content-type-options-nosniff": (0, "X-Content-Type-Options: nosniff."),
    "x-content-type-options-not-implemented": (-5, "No X-Content-Type-Options header."),
    "x-content-type-options-header-invalid": (
        -5,
        "The X-Content-Type-Options header is not recognised.",
    ),
    # X-Frame-Options
    "x-frame-options-implemented-via-csp": (5, "Framing controlled by CSP frame-ancestors."),
    "x-frame-options-sameorigin-or-deny": (0, "X-Frame-Options: SAMEORIGIN or DENY."),
    "x-frame-options-allow-from-origin": (0, "X-Frame-Options: ALLOW-FROM."),
    "x-frame-options-not-implemented": (-20, "No X-Frame-Options or frame-ancestors."),
    "x-frame-options-header-invalid": (-20, "The X-Frame-Options header is not recognised."),
    # Cross-Origin-Resource-Policy
    "corp-implemented-with-same-origin": (10, "Cross-Origin-Resource-Policy: same-origin."),
    "corp-implemented-with-same-site": (10, "Cross-Origin-Resource-Policy: same-site."),
    "corp-implemented-with-cross-origin": (0, "Cross-Origin-Resource-Policy: cross-origin."),
    "corp-not-implemented": (0, "No Cross-Origin-Resource-Policy header."),
    "corp-header-invalid": (-5, "The Cross-Origin-Resource-Policy header is not recognised."),
    # Cross-Origin-Opener-Policy (scored since August 2026)
    "coop-implemented-with-same-origin": (10, "Cross-Origin-Opener-Policy: same-origin."),
    "coop-implemented-with-same-origin-allow-popups": (
        10,
        "Cross-Origin-Opener-Policy: same-origin-allow-popups.",
    ),
    "coop-implemented-with-noopener-allow-popups": (
        10,
        "Cross-Origin-Opener-Policy: noopener-allow-popups.",
    ),
    "coop-implemented-with-unsafe-none": (0, "Cross-Origin-Opener-Policy: unsafe-none."),
    "coop-not-implemented": (0, "No Cross-Origin-Opener-Policy header."),
    "coop-header-invalid": (-5, "The Cross-Origin-Opener-Policy header is not recognised."),
}


@dataclass(frozen=True)
class Cookie:
    """The attributes of one ``Set-Cookie`` header that the Observatory grades."""

    name: str
    secure: bool
    http_only: bool
    # The raw SameSite value; None without the attribute.
    same_site: str | None

    @classmethod
    def parse(cls, set_cookie: str) -> Cookie:
        """Parse a ``Set-Cookie`` header value (without the header name)."""
        first, *attributes = set_cookie.split(";")
        flags: dict[str, str] = {}
        for attribute in attributes:
            key, _, value = attribute.partition("=")
            flags[key.strip().lower()] = value.strip()
        return cls(
            name=first.partition("=")[0].strip(),
            secure="secure" in flags,
            http_only="httponly" in flags,
            same_site=flags.get("samesite"),
        )


def _header_values(headers: Sequence[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in headers if key.lower() == name.lower()]


@dataclass(frozen=True)
class Site:
    """What an Observatory scan saw: the rules grade only this.

    ``headers``: the final response to ``https://host/`` (the Observatory
    needs a 2xx), one pair per header line. ``set_cookies``: every
    ``Set-Cookie`` value seen during the scan. ``http_route``: the URLs
    visited from ``http://host/`` to the last redirect target; None when
    nothing answers on HTTP. ``https``: whether the final response came over
    HTTPS with a valid certificate. ``hsts_preloaded``: whether the host is in
    browsers' preload list (the Observatory looks it up; offline we cannot).
    """

    headers: Sequence[tuple[str, str]]
    set_cookies: Sequence[str] = ()
    http_route: Sequence[str] | None = None
    https: bool = True
    hsts_preloaded: bool = False

    def header_values(self, name: str) -> list[str]:
        return _header_values(self.headers, name)

    @classmethod
    def from_response(
        cls,
        response: HttpResponseBase,
        *,
        http_route: Sequence[str] | None = None,
        https: bool = True,
        hsts_preloaded: bool = False,
    ) -> Site:
        """Describe a Django response (its headers and cookies) for the rules."""
        return cls(
            headers=list(response.items()),
            set_cookies=[morsel.OutputString() for morsel in response.cookies.values()],
            http_route=http_route,
            https=https,
            hsts_preloaded=hsts_preloaded,
        )


@dataclass(frozen=True)
class Outcome:
    """One Observatory test's outcome."""

    test: str
    result: str
    modifier: int
    description: str
    # Test results that are fine for the Observatory (not every one scores).
    passed: bool


@dataclass(frozen=True)
class Grade:
    """The Observatory's verdict on a site."""

    score: int
    grade: str
    # The score with only the negative modifiers.
    uncurved: int
    extra_credit: bool
    tests: list[Outcome] = field(default_factory=list)


class _InvalidPolicy(ValueError):
    pass


_BROAD: Final = frozenset(
    {"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"}
)
_UNSAFE_INLINE: Final = frozenset({"'unsafe-inline'", "data:"})
_NONCE_OR_HASH_PREFIXES: Final = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")
_PASSIVE: Final = ("img-src", "media-src")


def _observatory_parse(policies: Sequence[str]) -> dict[str, set[str]]:
    """Parse and combine policies as the Observatory does (raises _InvalidPolicy)."""
    combined: dict[str, set[str]] = {}
    for index, policy in enumerate(policies):
        policy = policy.replace("\r", "").replace("\n", "").strip()
        # The shortest acceptable policy is a directive like "img-src".
        if len(policy) < len("img-src") - 1:
            raise _InvalidPolicy(policy)
        seen: set[str] = set()
        for token in policy.split(";"):
            parts = token.split()
            if not parts:
                continue
            name = parts[0].lower()
            if name in seen:
                if name in ("report-uri", "report-to"):
                    continue
                raise _InvalidPolicy(f"{name} twice")
            seen.add(name)
            sources = {source.lower() for source in parts[1:]}
            if not sources and name.endswith("-src"):
                sources = {"'none'"}
            if index == 0 or name not in combined:
                combined[name] = sources
            else:
                # Several policies all apply: a source must pass each of them.
                combined[name] &= sources
    return {name: sources or {"'none'"} for name, sources in combined.items()}


def _csp_test(site: Site) -> tuple[str, dict[str, set[str]] | None]:
    policies = [
        policy.strip()
        for header in site.header_values("Content-Security-Policy")
        for policy in header.split(",")
    ]
    if not policies:
        if site.header_values("Content-Security-Policy-Report-Only"):
            return "csp-not-implemented-but-reporting-enabled", None
        return "csp-not-implemented", None
    try:
        csp = _observatory_parse(policies)
    except _InvalidPolicy:
        return "csp-header-invalid", None

    def sources(*names: str) -> set[str]:
        for name in names:
            if name in csp:
                return set(csp[name])
        return {"*"}

    result: str | None = None
    script_src = sources("script-src", "default-src")
    style_src = sources("style-src", "default-src")
    object_src = sources("object-src", "default-src")
    for source_list in (script_src, style_src):
        if any(s.startswith(_NONCE_OR_HASH_PREFIXES) for s in source_list):
            source_list.discard("'unsafe-inline'")
    if any(s.startswith(_NONCE_OR_HASH_PREFIXES) for s in script_src) and (
        "'strict-dynamic'" in script_src
    ):
        script_src = {
            s
            for s in script_src
            if not any(s.startswith(broad) for broad in _BROAD)
            and s not in ("'self'", "'unsafe-inline'")
        }
    elif "'strict-dynamic'" in script_src:
        result = "csp-header-invalid"

    active = [
        source
        for name, values in csp.items()
        if name not in _PASSIVE and name != "script-src"
        for source in values
    ] + sorted(script_src)
    passive = [
        source for name in _PASSIVE for source in csp.get(name, csp.get("default-src", set()))
    ]

    def insecure(values: Iterable[str]) -> bool:
        return site.https and any(v.startswith(("http:", "ftp:")) for v in values)

    checks = (
        (
            bool(script_src & (_BROAD | _UNSAFE_INLINE)) or bool(object_src & _BROAD),
            "csp-implemented-with-unsafe-inline",
        ),
        (insecure(active), "csp-implemented-with-insecure-scheme"),
        ("'unsafe-eval'" in script_src | style_src, "csp-implemented-with-unsafe-eval"),
        (insecure(passive), "csp-implemented-with-insecure-scheme-in-passive-content-only"),
        (
            bool(style_src & (_BROAD | _UNSAFE_INLINE)),
            "csp-implemented-with-unsafe-inline-in-style-src-only",
        ),
        (csp.get("default-src") == {"'none'"}, "csp-implemented-with-no-unsafe-default-src-none"),
        (True, "csp-implemented-with-no-unsafe"),
    )
    # The first finding in this order wins.
    if result is None:
        result = next(name for found, name in checks if found)
    return result, csp


def _x_frame_options_test(site: Site, csp: dict[str, set[str]] | None) -> str:
    if csp is not None and "frame-ancestors" in csp:
        return "x-frame-options-implemented-via-csp"
    values = site.header_values("X-Frame-Options")
    if not values:
        return "x-frame-options-not-implemented"
    value = values[0].strip().lower()
    if value in ("deny", "sameorigin"):
        return "x-frame-options-sameorigin-or-deny"
    if value.startswith("allow-from"):
        return "x-frame-options-allow-from-origin"
    return "x-frame-options-header-invalid"


_PRIVATE_REFERRERS: Final = (
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
)
_UNSAFE_REFERRERS: Final = (
    "origin",
    "origin-when-cross-origin",
    "unsafe-url",
    "no-referrer-when-downgrade",
)


def _referrer_policy_test(site: Site) -> str:
    values = site.header_values("Referrer-Policy")
    if not values:
        return "referrer-policy-not-implemented"
    # The last value the browser understands wins.
    known = [
        token.strip().lower()
        for token in ",".join(values).split(",")
        if token.strip().lower() in _PRIVATE_REFERRERS + _UNSAFE_REFERRERS
    ]
    if known and known[-1] in _PRIVATE_REFERRERS:
        return "referrer-policy-private"
    if known:
        return "referrer-policy-unsafe"
    return "referrer-policy-header-invalid"


def _x_content_type_options_test(site: Site) -> str:
    values = site.header_values("X-Content-Type-Options")
    if not values:
        return "x-content-type-options-not-implemented"
    if values[0].strip().lower() == "nosniff":
        return "x-content-type-options-nosniff"
    return "x-content-type-options-header-invalid"


# Six months, give or take: the Observatory accepts 180 days.
HSTS_SIX_MONTHS: Final = 15_552_000


def _hsts_test(site: Site) -> str:
    if not site.https:
        return "hsts-not-implemented-no-https"
    if site.hsts_preloaded:
        return "hsts-preloaded"
    values = site.header_values("Strict-Transport-Security")
    if not values:
        return "hsts-not-implemented"
    value = values[0]
    max_age: int | None = None
    for parameter in value.split(";"):
        parameter = parameter.strip().lower()
        if parameter.startswith("max-age="):
            digits = re.match(r"\d+", parameter[len("max-age=") :])
            if digits is None:
                return "hsts-header-invalid"
            max_age = int(digits.group())
    if "," in value or max_age is None:
        return "hsts-header-invalid"
    if max_age < HSTS_SIX_MONTHS:
        return "hsts-implemented-max-age-less-than-six-months"
    return "hsts-implemented-max-age-at-least-six-months"


def _redirection_test(site: Site) -> str:
    route = site.http_route
    if route is None:
        return "redirection-not-needed-no-http"
    if site.hsts_preloaded:
        return "redirection-all-redirects-preloaded"
    if len(route) <= 1:
        return "redirection-missing"
    urls = [urlsplit(url) for url in route]
    if urls[-1].scheme != "https":
        return "redirection-not-to-https"
    if urls[1].scheme == "http":
        return "redirection-not-to-https-on-initial-redirection"
    if urls[0].hostname != urls[1].hostname:
        return "redirection-off-host-from-http"
    return "redirection-to-https"


# From least to most severe: a cookie problem only replaces a milder one.
_COOKIE_SEVERITY: Final = (
    "cookies-without-secure-flag-but-protected-by-hsts",
    "cookies-without-secure-flag",
    "cookies-session-without-secure-flag-but-protected-by-hsts",
    "cookies-samesite-flag-invalid",
    "cookies-anticsrf-without-samesite-flag",
    "cookies-session-without-httponly-flag",
    "cookies-session-without-secure-flag",
)


def _cookies_test(site: Site, hsts_passed: bool) -> str:
    if not site.set_cookies:
        return "cookies-not-found"
    problems: list[str] = []
    missing_same_site = False
    for raw in site.set_cookies:
        cookie = Cookie.parse(raw)
        name = cookie.name.lower()
        session = "login" in name or "sess" in name
        anti_csrf = "csrf" in name
        same_site = cookie.same_site
        if same_site is not None and same_site.lower() not in ("lax", "strict", "none"):
            problems.append("cookies-samesite-flag-invalid")
        if not cookie.secure and (same_site or "").lower() == "none":
            problems.append("cookies-samesite-flag-invalid")
        if not cookie.secure:
            problems.append(
                "cookies-without-secure-flag-but-protected-by-hsts"
                if hsts_passed
                else "cookies-without-secure-flag"
            )
        if anti_csrf and not same_site:
            problems.append("cookies-anticsrf-without-samesite-flag")
        if session and not cookie.secure:
            problems.append(
                "cookies-session-without-secure-flag-but-protected-by-hsts"
                if hsts_passed
                else "cookies-session-without-secure-flag"
            )
        if session and not cookie.http_only:
            problems.append("cookies-session-without-httponly-flag")
        missing_same_site = missing_same_site or not same_site
    if problems:
        return max(problems, key=_COOKIE_SEVERITY.index)
    if missing_same_site:
        return "cookies-secure-with-httponly-sessions"
    return "cookies-secure-with-httponly-sessions-and-samesite"


def _corp_test(site: Site) -> str:
    values = site.header_values("Cross-Origin-Resource-Policy")
    if not values:
        return "corp-not-implemented"
    value = values[0].strip().lower()
    known = {
        "same-origin": "corp-implemented-with-same-origin",
        "same-site": "corp-implemented-with-same-site",
        "cross-origin": "corp-implemented-with-cross-origin",
    }
    return known.get(value, "corp-header-invalid")


def _coop_test(site: Site) -> str:
    values = site.header_values("Cross-Origin-Opener-Policy")
    if not values:
        return "coop-not-implemented"
    if len(values) > 1:
        return "coop-header-invalid"
    # A structured-field token, possibly with parameters (report-to="...").
    value = values[0].strip().split(";", 1)[0].strip()
    known = {
        "same-origin": "coop-implemented-with-same-origin",
        "same-origin-allow-popups": "coop-implemented-with-same-origin-allow-popups",
        "noopener-allow-popups": "coop-implemented-with-noopener-allow-popups",
        "unsafe-none": "coop-implemented-with-unsafe-none",
    }
    return known.get(value, "coop-header-invalid")


_PASSING: Final = frozenset(
    {
        "csp-implemented-with-no-unsafe-default-src-none",
        "csp-implemented-with-no-unsafe",
        "csp-implemented-with-unsafe-inline-in-style-src-only",
        "csp-implemented-with-insecure-scheme-in-passive-content-only",
        "cookies-secure-with-httponly-sessions-and-samesite",
        "cookies-secure-with-httponly-sessions",
        "cookies-not-found",
        "redirection-all-redirects-preloaded",
        "redirection-to-https",
        "redirection-not-needed-no-http",
        "referrer-policy-private",
        "referrer-policy-not-implemented",
        "hsts-preloaded",
        "hsts-implemented-max-age-at-least-six-months",
        "x-content-type-options-nosniff",
        "x-frame-options-implemented-via-csp",
        "x-frame-options-sameorigin-or-deny",
        "x-frame-options-allow-from-origin",
        "corp-implemented-with-same-origin",
        "corp-implemented-with-same-site",
        "corp-implemented-with-cross-origin",
        "corp-not-implemented",
        "coop-implemented-with-same-origin",
        "coop-implemented-with-same-origin-allow-popups",
        "coop-implemented-with-noopener-allow-popups",
        "coop-implemented-with-unsafe-none",
        "coop-not-implemented",
    }
)


def _result(test: str, result: str) -> Outcome:
    modifier, description = RESULTS[result]
    return Outcome(test, result, modifier, description, result in _PASSING)


def observatory_tests(site: Site) -> list[Outcome]:
    """Run the Observatory's tests on ``site``, one result each."""
    csp_result, csp = _csp_test(site)
    hsts = _result("strict-transport-security", _hsts_test(site))
    return [
        _result("content-security-policy", csp_result),
        _result("cookies", _cookies_test(site, hsts.passed)),
        _result("cross-origin-opener-policy", _coop_test(site)),
        _result("cross-origin-resource-policy", _corp_test(site)),
        _result("redirection", _redirection_test(site)),
        _result("referrer-policy", _referrer_policy_test(site)),
        hsts,
        _result("x-content-type-options", _x_content_type_options_test(site)),
        _result("x-frame-options", _x_frame_options_test(site, csp)),
    ]


def grade_for(score: int) -> str:
    """Return the Observatory's letter grade for a score (5-point bands, 100+ is A+)."""
    score = max(score, 0)
    return next(grade for floor, grade in GRADES if score >= floor)


def observatory_grade(site: Site) -> Grade:
    """Return the Observatory's score and grade for ``site``.

    The score starts at 100 and adds every test's modifier; bonuses count only
    when the score without them is at least 90.
    """
    tests = observatory_tests(site)
    uncurved = 100 + sum(t.modifier for t in tests if t.modifier < 0)
    extra_credit = uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT
    score = 100 + sum(t.modifier for t in tests) if extra_credit else uncurved
    score = max(score, 0)
    return Grade(score, grade_for(score), uncurved, extra_credit, tests)
