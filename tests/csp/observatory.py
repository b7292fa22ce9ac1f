"""An offline header grader for the tests: the CSP Evaluator's and HTTP Observatory's rules.

Written from the rules of ``google/csp-evaluator`` (``checks/*.ts``) and ``mdn/mdn-http-observatory``
(``src/analyzer/tests/*.js``, ``src/grader/charts.js``). Simplified: a few hosts stand for the
Evaluator's bypass lists; ``<meta>`` policies, SRI, CORS and COEP are not graded.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final
from urllib.parse import urlsplit

from django_six_demos import csp_header

Policy = dict[str, list[str]]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


KEYWORDS: Final = _words(
    "'self' 'none' 'unsafe-inline' 'unsafe-eval' 'wasm-eval' 'wasm-unsafe-eval' 'strict-dynamic' "
    "'unsafe-hashed-attributes' 'unsafe-hashes' 'report-sample' 'block' 'allow'"
)
FETCH_DIRECTIVES: Final = _words(
    "child-src connect-src default-src font-src frame-src img-src manifest-src media-src "
    "object-src script-src script-src-attr script-src-elem style-src style-src-attr "
    "style-src-elem worker-src"
)
DIRECTIVES: Final = FETCH_DIRECTIVES | _words(
    "prefetch-src base-uri plugin-types sandbox disown-opener form-action frame-ancestors "
    "navigate-to report-to report-uri block-all-mixed-content upgrade-insecure-requests "
    "reflected-xss referrer require-sri-for trusted-types require-trusted-types-for webrtc"
)
_SCHEME = re.compile(r"^[a-zA-Z][+a-zA-Z0-9.-]*:$")
_NONCE = re.compile(r"^'nonce-(.+)'$")
_STRICT_NONCE = re.compile(r"^'nonce-[a-zA-Z0-9+/_-]+={0,2}'$")
_HASH = re.compile(r"^'(sha256|sha384|sha512)-(.+)'$")
_IPV4 = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")


def is_nonce(source: str) -> bool:
    return bool(_NONCE.match(source))


def is_hash(source: str) -> bool:
    return bool(_HASH.match(source))


def parse_policy(policy: str) -> Policy:
    """Parse a policy as the Evaluator does: keywords and schemes lowercased, repeats dropped."""

    def normal(source: str) -> str:
        lowered = source.lower()
        return lowered if lowered in KEYWORDS or _SCHEME.match(source) else source

    return {
        name: list(dict.fromkeys(map(normal, sources)))
        for name, sources in csp_header.parse(policy).items()
    }


# -- CSP Evaluator ---------------------------------------------------------------------


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
    check: str
    severity: Severity
    directive: str
    value: str | None
    description: str


# "check/variant": (severity, description); a variant only picks another description.
_RULES: Final[dict[str, tuple[Severity, str]]] = {
    "script-unsafe-inline": (
        Severity.HIGH,
        "'unsafe-inline' lets injected inline scripts and event handlers run.",
    ),
    "script-unsafe-hashes": (
        Severity.MEDIUM_MAYBE,
        "'unsafe-hashes' runs event handlers whose hash is listed; move them to script files.",
    ),
    "script-unsafe-eval": (
        Severity.MEDIUM_MAYBE,
        "'unsafe-eval' lets code injected into eval() and similar APIs run.",
    ),
    "plain-url-scheme": (Severity.HIGH, "{value} in {directive} allows scripts from anywhere."),
    "plain-wildcard": (Severity.HIGH, "{directive} should not allow '*' as a source."),
    "missing-object-src": (Severity.HIGH, "Without object-src, injected plugins can run script."),
    "missing-script-src": (Severity.HIGH, "script-src is missing."),
    "missing-base-uri": (
        Severity.HIGH,
        "Without base-uri, an injected <base> moves relative script URLs to another host.",
    ),
    "script-allowlist-bypass/self": (
        Severity.MEDIUM_MAYBE,
        "'self' can be bypassed if the site hosts JSONP, AngularJS or user-uploaded files.",
    ),
    "script-allowlist-bypass/known": (
        Severity.HIGH,
        "{host} is known to host {served}, which bypass this policy.",
    ),
    "script-allowlist-bypass/unknown": (
        Severity.MEDIUM_MAYBE,
        "No bypass known; make sure this host serves no JSONP or AngularJS.",
    ),
    "object-allowlist-bypass": (Severity.MEDIUM_MAYBE, "Can you restrict object-src to 'none'?"),
    "ip-source/localhost": (
        Severity.INFO,
        "{directive} allows localhost: remove it in production.",
    ),
    "ip-source": (Severity.INFO, "{directive} has an IP address as source, which browsers ignore."),
    "nonce-length": (Severity.MEDIUM, "Nonces should be at least 8 characters long."),
    "nonce-charset": (Severity.INFO, "Nonces should only use the base64 charset."),
    "src-http/report-uri": (Severity.MEDIUM, "Use HTTPS to send violation reports securely."),
    "src-http": (Severity.MEDIUM, "Allow only resources downloaded over HTTPS."),
    "deprecated-directive/reflected-xss": (
        Severity.INFO,
        "reflected-xss is deprecated since CSP2.",
    ),
    "deprecated-directive/referrer": (
        Severity.INFO,
        "referrer is deprecated since CSP2: use the Referrer-Policy header.",
    ),
    "deprecated-directive/disown-opener": (
        Severity.INFO,
        "disown-opener is deprecated since CSP3: use Cross-Origin-Opener-Policy.",
    ),
    "unknown-directive/colon": (Severity.SYNTAX, "CSP directives don't end with a colon."),
    "unknown-directive": (Severity.SYNTAX, '"{directive}" is not a known CSP directive.'),
    "missing-semicolon": (
        Severity.SYNTAX,
        'Did you forget a semicolon? "{value}" is a directive, not a source.',
    ),
    "invalid-keyword/quotes": (
        Severity.SYNTAX,
        'Did you forget the single quotes around "{value}"?',
    ),
    "invalid-keyword": (Severity.SYNTAX, "{value} is not a CSP keyword."),
    "strict-dynamic": (
        Severity.STRICT_CSP,
        "Host allowlists can often be bypassed: use 'strict-dynamic' with nonces or hashes.",
    ),
    "strict-dynamic-not-standalone": (
        Severity.INFO,
        "'strict-dynamic' without a nonce or hash blocks every script.",
    ),
    "unsafe-inline-fallback": (
        Severity.STRICT_CSP,
        "Consider 'unsafe-inline' (ignored beside nonces and hashes) for older browsers.",
    ),
    "allowlist-fallback": (
        Severity.STRICT_CSP,
        "Consider https: and http: (ignored beside 'strict-dynamic') for older browsers.",
    ),
    "require-trusted-types-for-scripts": (
        Severity.INFO,
        "Consider require-trusted-types-for 'script' to lock down DOM XSS sinks.",
    ),
}


def _finding(rule: str, directive: str, value: str | None = None, **words: str) -> Finding:
    severity, text = _RULES[rule]
    description = text.format(directive=directive, value=value, **words)
    return Finding(rule.split("/")[0], severity, directive, value, description)


# A few of the hosts the Evaluator knows to serve JSONP or AngularJS; its lists are longer.
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
_SCRIPT_DIRECTIVES: Final = ("script-src", "script-src-attr", "script-src-elem")
_XSS_DIRECTIVES: Final = (*_SCRIPT_DIRECTIVES, "object-src", "base-uri")
_XSS_SCHEMES: Final = ("data:", "http:", "https:")


def _effective_directive(policy: Policy, directive: str) -> str:
    """Return the directive that governs ``directive`` in ``policy`` (CSP3 fallbacks)."""
    if directive in policy:
        return directive
    for family in ("script-src", "style-src"):
        if directive.startswith(f"{family}-") and family in policy:
            return family
    return "default-src" if directive in FETCH_DIRECTIVES else directive


def _effective_directives(policy: Policy, directives: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(_effective_directive(policy, d) for d in directives))


def _sources(policy: Policy, directive: str = "script-src") -> list[str]:
    return policy.get(_effective_directive(policy, directive), [])


def _has(policy: Policy, kind: Callable[[str], bool], directive: str = "script-src") -> bool:
    return any(kind(source) for source in _sources(policy, directive))


def _nonce_or_hash(source: str) -> bool:
    return is_nonce(source) or is_hash(source)


def effective_policy(policy: Policy) -> Policy:
    """Return ``policy`` as a CSP3 browser enforces it (nonces and 'strict-dynamic' applied)."""
    effective = {name: list(sources) for name, sources in policy.items()}
    for directive in _effective_directives(policy, _SCRIPT_DIRECTIVES):
        if directive not in effective:
            continue
        values = effective[directive]
        if _has(policy, _nonce_or_hash, directive):
            values[:] = [s for s in values if s != "'unsafe-inline'"]
        if "'strict-dynamic'" in _sources(policy, directive):
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


def _check_scripts(policy: Policy) -> Iterator[Finding]:
    for directive in _effective_directives(policy, _SCRIPT_DIRECTIVES):
        for keyword in ("'unsafe-inline'", "'unsafe-hashes'", "'unsafe-eval'"):
            if keyword in policy.get(directive, []):
                yield _finding("script-" + keyword.strip("'"), directive, keyword)


def _check_plain_sources(policy: Policy) -> Iterator[Finding]:
    for directive in _effective_directives(policy, _XSS_DIRECTIVES):
        for value in policy.get(directive, []):
            if value in _XSS_SCHEMES:
                yield _finding("plain-url-scheme", directive, value)
            elif _scheme_free(value) == "*":
                yield _finding("plain-wildcard", directive, value)


def _check_missing_directives(policy: Policy) -> Iterator[Finding]:
    if not policy.get("object-src", policy.get("default-src")):
        yield _finding("missing-object-src", "object-src")
    if "script-src" not in policy and "default-src" not in policy:
        yield _finding("missing-script-src", "script-src")
    strict_hash = _has(policy, is_hash) and "'strict-dynamic'" in _sources(policy)
    if (_has(policy, is_nonce) or strict_hash) and "base-uri" not in policy:
        yield _finding("missing-base-uri", "base-uri")


def _check_allowlists(policy: Policy) -> Iterator[Finding]:
    for directive in _effective_directives(policy, ("script-src", "script-src-elem")):
        values = policy.get(directive, [])
        if "'none'" in values:
            continue
        jsonp = JSONP_HOSTS if "'unsafe-eval'" in values else JSONP_HOSTS - JSONP_NEEDS_EVAL
        for value in values:
            if value == "'self'":
                yield _finding("script-allowlist-bypass/self", directive, value)
                continue
            if value.startswith("'") or _SCHEME.match(value) or "." not in value:
                continue
            host = _host(value)
            served = [
                kind
                for kind, hosts in (("JSONP endpoints", jsonp), ("AngularJS", ANGULAR_HOSTS))
                if any(_host_matches(host, known) for known in hosts)
            ]
            if served:
                words = {"host": host, "served": " and ".join(served)}
                yield _finding("script-allowlist-bypass/known", directive, value, **words)
            else:
                yield _finding("script-allowlist-bypass/unknown", directive, value)
    directive = _effective_directive(policy, "object-src")
    if directive == "object-src" and "'none'" not in policy[directive]:
        for value in policy[directive]:
            yield _finding("object-allowlist-bypass", directive, value)


def _check_each_source(policy: Policy) -> Iterator[Finding]:
    for directive, values in policy.items():
        for value in values:
            host = _host(value)
            if _IPV4.match(host) or (host.startswith("[") and host.endswith("]")):
                local = "/localhost" if host == "127.0.0.1" else ""
                yield _finding(f"ip-source{local}", directive, value)
            if match := _NONCE.match(value):
                if len(match.group(1)) < 8:
                    yield _finding("nonce-length", directive, value)
                if not _STRICT_NONCE.match(value):
                    yield _finding("nonce-charset", directive, value)
            if value.startswith("http://"):
                report = "/report-uri" if directive == "report-uri" else ""
                yield _finding(f"src-http{report}", directive, value)


def _valid_quoted(directive: str, value: str) -> bool:
    if directive == "require-trusted-types-for":
        return value == "'script'"
    if directive == "trusted-types":
        return value == "'allow-duplicates'"
    return value in KEYWORDS or is_nonce(value) or is_hash(value)


def _check_syntax(policy: Policy) -> Iterator[Finding]:
    bare_keywords = {keyword.strip("'") for keyword in KEYWORDS}
    for directive, values in policy.items():
        if directive in ("reflected-xss", "referrer", "disown-opener"):
            yield _finding(f"deprecated-directive/{directive}", directive)
        elif directive not in DIRECTIVES:
            colon = "/colon" if directive.endswith(":") else ""
            yield _finding(f"unknown-directive{colon}", directive)
        for value in values:
            if value in DIRECTIVES:
                yield _finding("missing-semicolon", directive, value)
            elif value in bare_keywords or re.match(r"^(nonce|sha256|sha384|sha512)-", value):
                yield _finding("invalid-keyword/quotes", directive, value)
            elif value.startswith("'") and not _valid_quoted(directive, value):
                yield _finding("invalid-keyword", directive, value)


def _check_strict_csp(policy: Policy) -> Iterator[Finding]:
    """The strict-CSP hints, on the policy as written: about browsers that ignore nonces."""
    directive = _effective_directive(policy, "script-src")
    values = policy.get(directive, [])
    nonce_or_hash = any(map(_nonce_or_hash, values))
    strict_dynamic = "'strict-dynamic'" in values
    if any(not v.startswith("'") for v in values) and not strict_dynamic:
        yield _finding("strict-dynamic", directive)
    if strict_dynamic and not nonce_or_hash:
        yield _finding("strict-dynamic-not-standalone", directive)
    if nonce_or_hash and "'unsafe-inline'" not in values:
        yield _finding("unsafe-inline-fallback", directive)
    if strict_dynamic and not any(v in ("http:", "https:", "*") or "." in v for v in values):
        yield _finding("allowlist-fallback", directive)
    if "'script'" not in policy.get("require-trusted-types-for", []):
        yield _finding("require-trusted-types-for-scripts", "require-trusted-types-for")


_EFFECTIVE_CHECKS: Final = (
    _check_scripts,
    _check_plain_sources,
    _check_missing_directives,
    _check_allowlists,
    _check_each_source,
    _check_syntax,
)


def evaluate_policy(policy: str | Policy) -> list[Finding]:
    """Return the CSP Evaluator's findings for one policy, worst first."""
    parsed = parse_policy(policy) if isinstance(policy, str) else policy
    effective = effective_policy(parsed)
    found = [finding for check in _EFFECTIVE_CHECKS for finding in check(effective)]
    return sorted([*found, *_check_strict_csp(parsed)], key=lambda finding: finding.severity)


# -- HTTP Observatory ----------------------------------------------------------------------

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
RESULTS: Final[dict[str, tuple[int, str]]] = {
    "csp-implemented-with-no-unsafe-default-src-none": (
        10,
        "CSP without 'unsafe-inline' or 'unsafe-eval', and default-src 'none'.",
    ),
    "csp-implemented-with-no-unsafe": (5, "CSP without 'unsafe-inline' or 'unsafe-eval'."),
    "csp-implemented-with-unsafe-inline-in-style-src-only": (
        0,
        "Unsafe sources in style-src only.",
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
    "csp-implemented-with-insecure-scheme": (-20, "CSP lets an HTTPS site load over HTTP."),
    "csp-header-invalid": (-25, "The CSP header cannot be parsed."),
    "csp-not-implemented": (-25, "No Content-Security-Policy header."),
    "csp-not-implemented-but-reporting-enabled": (-25, "Only a report-only policy."),
    "cookies-secure-with-httponly-sessions-and-samesite": (
        5,
        "Every cookie is Secure and has SameSite; session cookies are HttpOnly.",
    ),
    "cookies-secure-with-httponly-sessions": (
        0,
        "Every cookie is Secure; session cookies are HttpOnly; some lack SameSite.",
    ),
    "cookies-not-found": (0, "No cookies set."),
    "cookies-without-secure-flag-but-protected-by-hsts": (-5, "Cookies without Secure, but HSTS."),
    "cookies-session-without-secure-flag-but-protected-by-hsts": (
        -10,
        "A session cookie without Secure, but HSTS.",
    ),
    "cookies-without-secure-flag": (-20, "Cookies without Secure."),
    "cookies-samesite-flag-invalid": (-20, "A SameSite value other than Strict, Lax or None."),
    "cookies-anticsrf-without-samesite-flag": (-20, "An anti-CSRF cookie without SameSite."),
    "cookies-session-without-httponly-flag": (-30, "A session cookie without HttpOnly."),
    "cookies-session-without-secure-flag": (-40, "A session cookie without Secure."),
    "redirection-all-redirects-preloaded": (0, "Every host redirected to is HSTS-preloaded."),
    "redirection-to-https": (0, "HTTP redirects to HTTPS on the same host first."),
    "redirection-not-needed-no-http": (0, "Nothing listens on HTTP."),
    "redirection-off-host-from-http": (-5, "HTTP redirects to HTTPS on another host first."),
    "redirection-not-to-https-on-initial-redirection": (-10, "HTTP redirects to HTTP first."),
    "redirection-not-to-https": (-20, "HTTP redirects, but not to HTTPS."),
    "redirection-missing": (-20, "HTTP does not redirect to HTTPS."),
    "referrer-policy-private": (5, "A private Referrer-Policy."),
    "referrer-policy-not-implemented": (0, "No Referrer-Policy header."),
    "referrer-policy-unsafe": (-5, "A Referrer-Policy that leaks URLs."),
    "referrer-policy-header-invalid": (-5, "The Referrer-Policy header is not recognised."),
    "hsts-preloaded": (5, "Preloaded in browsers' HSTS list."),
    "hsts-implemented-max-age-at-least-six-months": (0, "HSTS for six months or more."),
    "hsts-implemented-max-age-less-than-six-months": (-10, "HSTS for less than six months."),
    "hsts-not-implemented": (-20, "No Strict-Transport-Security header."),
    "hsts-header-invalid": (-20, "The Strict-Transport-Security header is not recognised."),
    "hsts-not-implemented-no-https": (-20, "No HTTPS, so no HSTS."),
    "x-content-type-options-nosniff": (0, "X-Content-Type-Options: nosniff."),
    "x-content-type-options-not-implemented": (-5, "No X-Content-Type-Options header."),
    "x-content-type-options-header-invalid": (-5, "X-Content-Type-Options is not recognised."),
    "x-frame-options-implemented-via-csp": (5, "Framing controlled by CSP frame-ancestors."),
    "x-frame-options-sameorigin-or-deny": (0, "X-Frame-Options: SAMEORIGIN or DENY."),
    "x-frame-options-allow-from-origin": (0, "X-Frame-Options: ALLOW-FROM."),
    "x-frame-options-not-implemented": (-20, "No X-Frame-Options or frame-ancestors."),
    "x-frame-options-header-invalid": (-20, "The X-Frame-Options header is not recognised."),
    "corp-implemented-with-same-origin": (10, "Cross-Origin-Resource-Policy: same-origin."),
    "corp-implemented-with-same-site": (10, "Cross-Origin-Resource-Policy: same-site."),
    "corp-implemented-with-cross-origin": (0, "Cross-Origin-Resource-Policy: cross-origin."),
    "corp-not-implemented": (0, "No Cross-Origin-Resource-Policy header."),
    "corp-header-invalid": (-5, "Cross-Origin-Resource-Policy is not recognised."),
    "coop-implemented-with-same-origin": (10, "Cross-Origin-Opener-Policy: same-origin."),
    "coop-implemented-with-same-origin-allow-popups": (10, "COOP: same-origin-allow-popups."),
    "coop-implemented-with-noopener-allow-popups": (10, "COOP: noopener-allow-popups."),
    "coop-implemented-with-unsafe-none": (0, "Cross-Origin-Opener-Policy: unsafe-none."),
    "coop-not-implemented": (0, "No Cross-Origin-Opener-Policy header."),
    "coop-header-invalid": (-5, "Cross-Origin-Opener-Policy is not recognised."),
}
# Every result with a modifier of 0 or more passes; of the negative ones, only this.
_PASSING_DESPITE_MODIFIER: Final = "csp-implemented-with-insecure-scheme-in-passive-content-only"


@dataclass(frozen=True)
class Cookie:
    """The attributes of one ``Set-Cookie`` value that the Observatory grades."""

    name: str
    secure: bool
    http_only: bool
    # The raw SameSite value; None without the attribute.
    same_site: str | None

    @classmethod
    def parse(cls, set_cookie: str) -> Cookie:
        first, *attributes = set_cookie.split(";")
        flags = {}
        for attribute in attributes:
            key, _, value = attribute.partition("=")
            flags[key.strip().lower()] = value.strip()
        name = first.partition("=")[0].strip()
        return cls(name, "secure" in flags, "httponly" in flags, flags.get("samesite"))


@dataclass(frozen=True)
class Site:
    """What a scan saw: the final HTTPS response's headers, every cookie, the route from http://.

    ``http_route`` is None when nothing answers on HTTP; preloading cannot be looked up offline.
    """

    headers: Sequence[tuple[str, str]]
    set_cookies: Sequence[str] = ()
    http_route: Sequence[str] | None = None
    https: bool = True
    hsts_preloaded: bool = False

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def first(self, name: str) -> str | None:
        values = self.header_values(name)
        return values[0].strip().lower() if values else None


@dataclass(frozen=True)
class Outcome:
    test: str
    result: str
    modifier: int
    description: str
    passed: bool


@dataclass(frozen=True)
class Grade:
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
    """Combine policies as the Observatory does: repeated directives invalid, sources intersected."""
    combined: dict[str, set[str]] = {}
    for index, policy in enumerate(policies):
        policy = policy.replace("\r", "").replace("\n", "").strip()
        # The shortest acceptable policy is a directive like "img-src".
        if len(policy) < len("img-src") - 1:
            raise _InvalidPolicy(policy)
        names = Counter(part.split()[0].lower() for part in policy.split(";") if part.split())
        if any(
            count > 1 and name not in ("report-uri", "report-to") for name, count in names.items()
        ):
            raise _InvalidPolicy(policy)
        for name, sources in csp_header.parse(policy).items():
            lowered = {source.lower() for source in sources}
            if not lowered and name.endswith("-src"):
                lowered = {"'none'"}
            # Several policies all apply: a source must pass each of them.
            combined[name] = (
                lowered if index == 0 or name not in combined else combined[name] & lowered
            )
    return {name: sources or {"'none'"} for name, sources in combined.items()}


def _csp_test(site: Site) -> tuple[str, dict[str, set[str]] | None]:
    policies = [
        policy.strip()
        for header in site.header_values(csp_header.ENFORCED)
        for policy in header.split(",")
    ]
    if not policies:
        if site.header_values(csp_header.REPORT_ONLY):
            return "csp-not-implemented-but-reporting-enabled", None
        return "csp-not-implemented", None
    try:
        csp = _observatory_parse(policies)
    except _InvalidPolicy:
        return "csp-header-invalid", None

    def sources(name: str) -> set[str]:
        return set(csp.get(name, csp.get("default-src", {"*"})))

    script_src, style_src, object_src = (
        sources("script-src"),
        sources("style-src"),
        sources("object-src"),
    )
    for source_list in (script_src, style_src):
        if any(s.startswith(_NONCE_OR_HASH_PREFIXES) for s in source_list):
            source_list.discard("'unsafe-inline'")
    if "'strict-dynamic'" in script_src:
        if not any(s.startswith(_NONCE_OR_HASH_PREFIXES) for s in script_src):
            return "csp-header-invalid", csp
        script_src = {
            s
            for s in script_src
            if not s.startswith(tuple(_BROAD)) and s not in ("'self'", "'unsafe-inline'")
        }
    active = [
        source
        for name, values in csp.items()
        if name not in (*_PASSIVE, "script-src")
        for source in values
    ] + sorted(script_src)
    passive = [source for name in _PASSIVE for source in sources(name)]

    def insecure(values: Iterable[str]) -> bool:
        return site.https and any(v.startswith(("http:", "ftp:")) for v in values)

    # The first that applies, in this order.
    checks = (
        (script_src & (_BROAD | _UNSAFE_INLINE) or object_src & _BROAD, "unsafe-inline"),
        (insecure(active), "insecure-scheme"),
        ("'unsafe-eval'" in script_src | style_src, "unsafe-eval"),
        (insecure(passive), "insecure-scheme-in-passive-content-only"),
        (style_src & (_BROAD | _UNSAFE_INLINE), "unsafe-inline-in-style-src-only"),
        (csp.get("default-src") == {"'none'"}, "no-unsafe-default-src-none"),
        (True, "no-unsafe"),
    )
    return "csp-implemented-with-" + next(name for found, name in checks if found), csp


def _x_frame_options_test(site: Site, csp: dict[str, set[str]] | None) -> str:
    if csp is not None and "frame-ancestors" in csp:
        return "x-frame-options-implemented-via-csp"
    value = site.first("X-Frame-Options")
    if value is None:
        return "x-frame-options-not-implemented"
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
    tokens = [token.strip().lower() for token in ",".join(values).split(",")]
    known = [token for token in tokens if token in _PRIVATE_REFERRERS + _UNSAFE_REFERRERS]
    if not known:
        return "referrer-policy-header-invalid"
    return (
        "referrer-policy-private" if known[-1] in _PRIVATE_REFERRERS else "referrer-policy-unsafe"
    )


def _x_content_type_options_test(site: Site) -> str:
    value = site.first("X-Content-Type-Options")
    if value is None:
        return "x-content-type-options-not-implemented"
    if value == "nosniff":
        return "x-content-type-options-nosniff"
    return "x-content-type-options-header-invalid"


# Six months, give or take: the Observatory accepts 180 days.
HSTS_SIX_MONTHS: Final = 15_552_000


def _hsts_test(site: Site) -> str:
    if not site.https:
        return "hsts-not-implemented-no-https"
    if site.hsts_preloaded:
        return "hsts-preloaded"
    value = site.first("Strict-Transport-Security")
    if value is None:
        return "hsts-not-implemented"
    max_age: int | None = None
    for parameter in value.split(";"):
        parameter = parameter.strip()
        if parameter.startswith("max-age="):
            digits = re.match(r"\d+", parameter.removeprefix("max-age="))
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
    "without-secure-flag-but-protected-by-hsts",
    "without-secure-flag",
    "session-without-secure-flag-but-protected-by-hsts",
    "samesite-flag-invalid",
    "anticsrf-without-samesite-flag",
    "session-without-httponly-flag",
    "session-without-secure-flag",
)


def _cookies_test(site: Site, hsts_passed: bool) -> str:
    if not site.set_cookies:
        return "cookies-not-found"
    problems: list[str] = []
    cookies = [Cookie.parse(raw) for raw in site.set_cookies]
    hsts = "-but-protected-by-hsts" if hsts_passed else ""
    for cookie in cookies:
        name = cookie.name.lower()
        session = "login" in name or "sess" in name
        same_site = (cookie.same_site or "").lower()
        if cookie.same_site is not None and same_site not in ("lax", "strict", "none"):
            problems.append("samesite-flag-invalid")
        if not cookie.secure:
            problems.append("without-secure-flag" + hsts)
            if same_site == "none":
                problems.append("samesite-flag-invalid")
            if session:
                problems.append("session-without-secure-flag" + hsts)
        if "csrf" in name and not same_site:
            problems.append("anticsrf-without-samesite-flag")
        if session and not cookie.http_only:
            problems.append("session-without-httponly-flag")
    if problems:
        return "cookies-" + max(problems, key=_COOKIE_SEVERITY.index)
    if any(not cookie.same_site for cookie in cookies):
        return "cookies-secure-with-httponly-sessions"
    return "cookies-secure-with-httponly-sessions-and-samesite"


def _corp_test(site: Site) -> str:
    value = site.first("Cross-Origin-Resource-Policy")
    if value is None:
        return "corp-not-implemented"
    if value in ("same-origin", "same-site", "cross-origin"):
        return f"corp-implemented-with-{value}"
    return "corp-header-invalid"


def _coop_test(site: Site) -> str:
    values = site.header_values("Cross-Origin-Opener-Policy")
    if not values:
        return "coop-not-implemented"
    # A structured-field token, possibly with parameters (report-to="...").
    value = values[0].strip().split(";", 1)[0].strip()
    known = ("same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none")
    if len(values) > 1 or value not in known:
        return "coop-header-invalid"
    return f"coop-implemented-with-{value}"


def _outcome(test: str, result: str) -> Outcome:
    modifier, description = RESULTS[result]
    passed = modifier >= 0 or result == _PASSING_DESPITE_MODIFIER
    return Outcome(test, result, modifier, description, passed)


def observatory_tests(site: Site) -> list[Outcome]:
    """Run the Observatory's tests on ``site``, one result each."""
    csp_result, csp = _csp_test(site)
    hsts = _outcome("strict-transport-security", _hsts_test(site))
    return [
        _outcome("content-security-policy", csp_result),
        _outcome("cookies", _cookies_test(site, hsts.passed)),
        _outcome("cross-origin-opener-policy", _coop_test(site)),
        _outcome("cross-origin-resource-policy", _corp_test(site)),
        _outcome("redirection", _redirection_test(site)),
        _outcome("referrer-policy", _referrer_policy_test(site)),
        hsts,
        _outcome("x-content-type-options", _x_content_type_options_test(site)),
        _outcome("x-frame-options", _x_frame_options_test(site, csp)),
    ]


def grade_for(score: int) -> str:
    """Return the letter grade for a score (100 and more is A+)."""
    return next(grade for floor, grade in GRADES if max(score, 0) >= floor)


def observatory_grade(site: Site) -> Grade:
    """Return the score (100 plus every modifier; bonuses only from an uncurved 90) and grade."""
    tests = observatory_tests(site)
    uncurved = 100 + sum(t.modifier for t in tests if t.modifier < 0)
    extra_credit = uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT
    score = max(100 + sum(t.modifier for t in tests) if extra_credit else uncurved, 0)
    return Grade(score, grade_for(score), uncurved, extra_credit, tests)
