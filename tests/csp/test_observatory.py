"""The grader's rules, each triggered by a crafted policy or header set.

The Evaluator vectors follow ``google/csp-evaluator``'s ``checks/*_test.ts``; the Observatory
ones ``mdn/mdn-http-observatory``'s ``test/*.test.js``.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.csp import observatory
from tests.csp.observatory import Severity

STRICT = (
    "default-src 'none'; script-src 'nonce-R4nd0mR4nd0mR4nd0m' 'strict-dynamic'; "
    "style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def findings(policy, check=None):
    found = observatory.evaluate_policy(policy)
    return [f for f in found if check is None or f.check == check]


def severities(policy, check=None):
    return [f.severity for f in findings(policy, check)]


# -- Parsing -------------------------------------------------------------------------


def test_parse_policy_lowercases_names_and_keywords_keeps_first_directive():
    assert observatory.parse_policy(
        "Script-Src 'SELF' HTTPS: https: Example.com; script-src *; ; img-src"
    ) == {"script-src": ["'self'", "https:", "Example.com"], "img-src": []}


def test_parse_policy_keeps_nonce_case():
    assert observatory.parse_policy("script-src 'nonce-AbC'") == {"script-src": ["'nonce-AbC'"]}


def test_effective_policy_drops_unsafe_inline_with_a_nonce():
    effective = observatory.effective_policy(
        observatory.parse_policy("script-src 'unsafe-inline' 'nonce-abcdefgh'")
    )
    assert effective == {"script-src": ["'nonce-abcdefgh'"]}


def test_effective_policy_drops_allowlist_and_self_with_strict_dynamic():
    effective = observatory.effective_policy(
        observatory.parse_policy(
            "script-src 'self' https: example.com 'unsafe-inline' 'nonce-abcdefgh' "
            "'strict-dynamic' 'unsafe-eval'"
        )
    )
    assert effective["script-src"] == ["'nonce-abcdefgh'", "'strict-dynamic'", "'unsafe-eval'"]


def test_effective_policy_uses_default_src_for_a_missing_script_src():
    effective = observatory.effective_policy(
        observatory.parse_policy("default-src 'self' 'sha256-abc' 'strict-dynamic'")
    )
    assert effective["default-src"] == ["'sha256-abc'", "'strict-dynamic'"]


def test_script_src_elem_and_attr_fall_back_to_script_src_before_default_src():
    # default-src https: would be a HIGH finding for any script directive it governed.
    policy = "default-src https:; script-src 'nonce-abcdefgh' 'strict-dynamic'; object-src 'none'"
    assert findings(policy, "plain-url-scheme") == []
    # Without script-src, they fall back to default-src.
    assert [f.directive for f in findings("default-src https:", "plain-url-scheme")] == [
        "default-src"
    ]


def test_each_script_directive_is_made_effective_with_its_own_nonce():
    effective = observatory.effective_policy(
        observatory.parse_policy(
            "script-src 'unsafe-inline'; script-src-elem 'unsafe-inline' 'nonce-abcdefgh'"
        )
    )
    assert effective == {
        "script-src": ["'unsafe-inline'"],
        "script-src-elem": ["'nonce-abcdefgh'"],
    }


# -- CSP Evaluator: HIGH ---------------------------------------------------------------


def test_unsafe_inline_in_script_src_and_script_src_elem_is_high():
    policy = "default-src https:; script-src 'unsafe-inline'; script-src-elem 'unsafe-inline';"
    assert severities(policy, "script-unsafe-inline") == [Severity.HIGH, Severity.HIGH]


def test_unsafe_inline_in_default_src_counts_for_scripts():
    assert severities("default-src 'unsafe-inline'", "script-unsafe-inline") == [Severity.HIGH]


def test_unsafe_inline_in_default_src_is_shadowed_by_script_directives():
    policy = (
        "default-src 'unsafe-inline'; script-src https:; script-src-attr https:; "
        "script-src-elem https:"
    )
    assert findings(policy, "script-unsafe-inline") == []


def test_unsafe_inline_is_ignored_beside_a_nonce():
    policy = (
        "script-src 'unsafe-inline' 'nonce-foobarfoo'; "
        "script-src-elem 'unsafe-inline' 'nonce-foobarfoo'"
    )
    assert findings(policy, "script-unsafe-inline") == []


@pytest.mark.parametrize("directive", ["script-src", "object-src", "base-uri"])
def test_plain_url_schemes_in_xss_directives_are_high(directive):
    found = findings(f"{directive} data: http: https: sthInvalid:", "plain-url-scheme")

    assert [(f.directive, f.value, f.severity) for f in found] == [
        (directive, "data:", Severity.HIGH),
        (directive, "http:", Severity.HIGH),
        (directive, "https:", Severity.HIGH),
    ]


def test_plain_url_schemes_via_default_src():
    found = findings("default-src https:; object-src data: sthInvalid:", "plain-url-scheme")

    assert [f.directive for f in found] == ["default-src", "object-src"]


def test_plain_url_schemes_elsewhere_are_fine():
    policy = "default-src https:; object-src 'none'; script-src 'none'; base-uri 'none'"
    assert findings(policy, "plain-url-scheme") == []


def test_wildcards_in_script_directives_are_high():
    policy = (
        "script-src * http://* //*; script-src-attr * http://* //*; script-src-elem * http://* //*"
    )
    assert severities(policy, "plain-wildcard") == [Severity.HIGH] * 9


def test_wildcards_via_default_src_and_object_src():
    found = findings("default-src *; object-src * ignore.me.com", "plain-wildcard")

    assert [f.directive for f in found] == ["default-src", "object-src"]


def test_wildcard_subdomains_and_safe_directives_are_not_plain_wildcards():
    policy = "default-src *; object-src *.foo.bar; script-src 'none'; base-uri 'none'"
    assert findings(policy, "plain-wildcard") == []


def test_missing_object_src_is_high():
    assert [f.check for f in findings("script-src 'none'") if f.severity == Severity.HIGH] == [
        "missing-object-src"
    ]


def test_missing_script_src_is_high():
    assert [f.check for f in findings("object-src 'none'") if f.severity == Severity.HIGH] == [
        "missing-script-src"
    ]


def test_missing_base_uri_is_high_with_a_nonce():
    assert severities("script-src 'nonce-123456789'; object-src 'none'", "missing-base-uri") == [
        Severity.HIGH
    ]


def test_missing_base_uri_is_high_with_a_hash_and_strict_dynamic():
    policy = "script-src 'sha256-123456' 'strict-dynamic'; object-src 'none'"
    assert severities(policy, "missing-base-uri") == [Severity.HIGH]


def test_missing_base_uri_is_fine_with_a_hash_alone():
    assert findings("script-src 'sha256-123456'; object-src 'none'", "missing-base-uri") == []


@pytest.mark.parametrize(
    "policy",
    ["script-src 'none'; object-src 'none'", "default-src https:;", "default-src 'none';"],
)
def test_directives_present_directly_or_by_default(policy):
    checks = ("missing-object-src", "missing-script-src", "missing-base-uri")
    assert [f for f in findings(policy) if f.check in checks] == []


def test_host_known_for_jsonp_is_high():
    [finding] = findings("script-src *.google.com", "script-allowlist-bypass")

    assert finding.severity == Severity.HIGH
    assert "JSONP" in finding.description


def test_none_beside_an_allowlist_disables_the_bypass_check():
    policy = "script-src *.google.com 'none'; script-src-elem *.google.com 'none'"
    assert findings(policy, "script-allowlist-bypass") == []


def test_jsonp_needing_eval_is_high_only_with_unsafe_eval():
    with_eval = (
        "script-src https://googletagmanager.com 'unsafe-eval'; "
        "script-src-elem https://googletagmanager.com 'unsafe-eval'"
    )
    without = (
        "script-src https://googletagmanager.com; script-src-elem https://googletagmanager.com;"
    )

    assert severities(with_eval, "script-allowlist-bypass") == [Severity.HIGH] * 2
    assert severities(without, "script-allowlist-bypass") == [Severity.MEDIUM_MAYBE] * 2


def test_host_known_for_angular_is_high():
    found = findings(
        "script-src gstatic.com; script-src-elem gstatic.com", "script-allowlist-bypass"
    )

    assert [f.severity for f in found] == [Severity.HIGH] * 2
    assert all("AngularJS" in f.description for f in found)


# -- CSP Evaluator: MEDIUM_MAYBE and MEDIUM ---------------------------------------------


def test_unsafe_hashes_is_medium_maybe():
    policy = "script-src 'unsafe-hashes' 'sha256-1DCfk1NYWuHMfoobarfoobar='"
    assert severities(policy, "script-unsafe-hashes") == [Severity.MEDIUM_MAYBE]


def test_unsafe_eval_in_each_script_directive_is_medium_maybe():
    policy = (
        "default-src https:; script-src 'unsafe-eval'; script-src-attr 'unsafe-eval'; "
        "script-src-elem 'unsafe-eval';"
    )
    assert severities(policy, "script-unsafe-eval") == [Severity.MEDIUM_MAYBE] * 3


def test_unsafe_eval_in_default_src_counts_for_scripts():
    assert severities("default-src 'unsafe-eval'", "script-unsafe-eval") == [Severity.MEDIUM_MAYBE]


def test_self_in_script_src_is_medium_maybe():
    policy = "script-src 'self'; script-src-attr 'self'; script-src-elem 'self'"
    assert severities(policy, "script-allowlist-bypass") == [Severity.MEDIUM_MAYBE] * 2


def test_self_is_dropped_by_strict_dynamic():
    policy = (
        "script-src 'self' 'nonce-abcdefgh' 'strict-dynamic'; object-src 'none'; base-uri 'none'"
    )
    assert findings(policy, "script-allowlist-bypass") == []


def test_unknown_host_is_medium_maybe():
    policy = "script-src foo.bar; script-src-elem foo.bar"
    assert severities(policy, "script-allowlist-bypass") == [Severity.MEDIUM_MAYBE] * 2


@pytest.mark.parametrize("policy", ["object-src https://foo.bar", "object-src 'self'"])
def test_object_src_allowlist_is_medium_maybe(policy):
    assert severities(policy, "object-allowlist-bypass") == [Severity.MEDIUM_MAYBE]


def test_object_src_none_and_default_src_fallback_are_fine():
    assert findings("object-src 'none'", "object-allowlist-bypass") == []
    assert findings("default-src 'self'", "object-allowlist-bypass") == []


def test_short_nonce_is_medium():
    assert severities("script-src 'nonce-short'", "nonce-length") == [Severity.MEDIUM]
    assert findings("script-src 'nonce-veryLongRandomNonce'", "nonce-length") == []


def test_nonce_outside_base64_is_info():
    assert severities("script-src 'nonce-veryLong*Random'", "nonce-charset") == [Severity.INFO]


def test_http_sources_are_medium():
    found = findings("report-uri http://foo.bar/csp; img-src http://x.test", "src-http")

    assert [(f.directive, f.severity) for f in found] == [
        ("report-uri", Severity.MEDIUM),
        ("img-src", Severity.MEDIUM),
    ]
    assert "reports" in found[0].description


# -- CSP Evaluator: SYNTAX and INFO --------------------------------------------------------


def test_unknown_directive_is_syntax():
    assert severities("foobar-src foo.bar", "unknown-directive") == [Severity.SYNTAX]
    assert "colon" in findings("script-src: 'none'", "unknown-directive")[0].description


def test_missing_semicolon_is_syntax():
    assert severities("script-src foo.bar object-src 'none'", "missing-semicolon") == [
        Severity.SYNTAX
    ]


@pytest.mark.parametrize("value", ["self", "nonce-abcdefgh", "sha256-abc", "'notAkeyword'"])
def test_invalid_keyword_is_syntax(value):
    assert severities(f"script-src {value}", "invalid-keyword") == [Severity.SYNTAX]


def test_trusted_types_keywords_are_valid():
    policy = "require-trusted-types-for 'script'; trusted-types 'allow-duplicates'"
    assert findings(policy, "invalid-keyword") == []


def test_ip_sources_are_info():
    policy = "script-src 8.8.8.8; font-src //127.0.0.1 https://[::1] not.an.ip"
    found = findings(policy, "ip-source")

    assert [f.value for f in found] == ["8.8.8.8", "//127.0.0.1", "https://[::1]"]
    assert {f.severity for f in found} == {Severity.INFO}
    assert "localhost" in found[1].description


@pytest.mark.parametrize("directive", ["reflected-xss", "referrer", "disown-opener"])
def test_deprecated_directives_are_info(directive):
    assert severities(f"{directive} x", "deprecated-directive") == [Severity.INFO]


def test_strict_dynamic_without_nonce_or_hash_is_info():
    assert severities("script-src 'strict-dynamic'", "strict-dynamic-not-standalone") == [
        Severity.INFO
    ]


def test_missing_trusted_types_is_info():
    assert severities(STRICT, "require-trusted-types-for-scripts") == [Severity.INFO]
    assert (
        findings(
            STRICT + "; require-trusted-types-for 'script'", "require-trusted-types-for-scripts"
        )
        == []
    )


# -- CSP Evaluator: STRICT_CSP -------------------------------------------------------------


def test_host_allowlist_without_strict_dynamic_is_strict_csp():
    assert severities("script-src foo.bar", "strict-dynamic") == [Severity.STRICT_CSP]
    assert findings("script-src foo.bar 'nonce-abcdefgh' 'strict-dynamic'", "strict-dynamic") == []


def test_nonce_without_unsafe_inline_fallback_is_strict_csp():
    assert severities("script-src 'nonce-abcdefgh'", "unsafe-inline-fallback") == [
        Severity.STRICT_CSP
    ]
    assert findings("script-src 'nonce-abcdefgh' 'unsafe-inline'", "unsafe-inline-fallback") == []


def test_strict_dynamic_without_allowlist_fallback_is_strict_csp():
    policy = "script-src 'nonce-abcdefgh' 'strict-dynamic'"
    assert severities(policy, "allowlist-fallback") == [Severity.STRICT_CSP]
    assert findings(policy + " https: http:", "allowlist-fallback") == []


def test_strict_dynamic_fallbacks_are_not_high_findings():
    # The CSP2 fallbacks are ignored by CSP3 browsers, and by the checks too.
    policy = STRICT.replace("'strict-dynamic'", "'strict-dynamic' 'unsafe-inline' https: http:")
    assert [f for f in findings(policy) if f.severity <= Severity.MEDIUM_MAYBE] == []


# -- CSP Evaluator: the strict policy --------------------------------------------------------


def test_strict_policy_has_only_the_fallback_hints_and_trusted_types():
    assert [(f.severity, f.check) for f in findings(STRICT)] == [
        (Severity.STRICT_CSP, "unsafe-inline-fallback"),
        (Severity.STRICT_CSP, "allowlist-fallback"),
        (Severity.INFO, "require-trusted-types-for-scripts"),
    ]


def test_findings_come_worst_first_and_count_by_severity():
    found = findings("script-src 'self' 'unsafe-inline' http://x.test; report-uri http://r.test")

    assert [f.severity for f in found] == sorted(f.severity for f in found)
    counts = Counter(f.severity for f in found)
    assert counts[Severity.HIGH] == 2  # 'unsafe-inline', missing object-src
    assert counts[Severity.MEDIUM] == 2  # the two http:// sources


# -- Observatory: helpers ------------------------------------------------------------------------

GOOD_HEADERS = [
    ("Content-Security-Policy", STRICT),
    ("Referrer-Policy", "same-origin"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload"),
]
CSRF_COOKIE = (
    "csrftoken=abc; expires=Thu, 01 Jan 2099 00:00:00 GMT; Max-Age=1; Path=/; SameSite=Lax; Secure"
)
HTTPS_ROUTE = ["http://demos.example.com/", "https://demos.example.com/"]


def site(headers=(), replace=None, cookies=(CSRF_COOKIE,), route=HTTPS_ROUTE, **kwargs):
    """The good site, with some headers replaced (None removes one)."""
    replace = replace or {}
    kept = [(k, v) for k, v in GOOD_HEADERS if k not in replace]
    added = [(k, v) for k, v in replace.items() if v is not None]
    return observatory.Site(
        headers=[*kept, *added, *headers], set_cookies=list(cookies), http_route=route, **kwargs
    )


def result(test, the_site):
    [outcome] = [t for t in observatory.observatory_tests(the_site) if t.test == test]
    return outcome.result


def csp_result(policy, **kwargs):
    return result(
        "content-security-policy", site(replace={"Content-Security-Policy": policy}, **kwargs)
    )


# -- Observatory: the CSP test ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (STRICT, "csp-implemented-with-no-unsafe-default-src-none"),
        ("default-src 'self'; object-src 'none'", "csp-implemented-with-no-unsafe"),
        ("default-src 'self';; object-src 'none';", "csp-implemented-with-no-unsafe"),
        ("default-src 'none' 'self'", "csp-implemented-with-no-unsafe"),
        (
            "default-src 'self'; style-src 'unsafe-inline'",
            "csp-implemented-with-unsafe-inline-in-style-src-only",
        ),
        (
            "default-src 'self'; img-src http:",
            "csp-implemented-with-insecure-scheme-in-passive-content-only",
        ),
        ("default-src 'self'; style-src 'self' 'unsafe-eval'", "csp-implemented-with-unsafe-eval"),
        ("default-src 'self'; script-src 'self' 'unsafe-eval'", "csp-implemented-with-unsafe-eval"),
        ("default-src 'self'; script-src 'unsafe-inline'", "csp-implemented-with-unsafe-inline"),
        ("default-src 'self'; script-src data:", "csp-implemented-with-unsafe-inline"),
        ("default-src 'self'; script-src https:", "csp-implemented-with-unsafe-inline"),
        ("default-src 'self'; object-src *", "csp-implemented-with-unsafe-inline"),
        # No script-src and no default-src: anything goes.
        ("img-src 'self'", "csp-implemented-with-unsafe-inline"),
        ("default-src 'self'; connect-src http://api.test", "csp-implemented-with-insecure-scheme"),
        ("default-src 'self'; script-src 'strict-dynamic'", "csp-header-invalid"),
        ("default-src 'self'; default-src 'none'", "csp-header-invalid"),
        ("a", "csp-header-invalid"),
    ],
)
def test_csp_results(policy, expected):
    assert csp_result(policy) == expected


def test_csp_first_bad_finding_wins():
    # unsafe-inline comes before unsafe-eval and passive http:.
    policy = "default-src 'self'; script-src 'unsafe-inline' 'unsafe-eval'; img-src http:"
    assert csp_result(policy) == "csp-implemented-with-unsafe-inline"
    # insecure active content comes before unsafe-eval.
    policy = "default-src 'self'; script-src 'unsafe-eval'; connect-src http://x.test"
    assert csp_result(policy) == "csp-implemented-with-insecure-scheme"


def test_csp_nonce_neutralises_unsafe_inline():
    policy = "default-src 'none'; script-src 'nonce-abc' 'unsafe-inline'"
    assert csp_result(policy) == "csp-implemented-with-no-unsafe-default-src-none"


def test_csp_nonce_and_strict_dynamic_neutralise_broad_sources():
    policy = "default-src 'none'; script-src 'nonce-abc' 'strict-dynamic' 'self' https: http: *"
    assert csp_result(policy) == "csp-implemented-with-no-unsafe-default-src-none"


def test_csp_http_sources_do_not_count_on_a_plain_http_site():
    policy = "default-src 'self'; connect-src http://x.test"
    assert csp_result(policy, https=False) == "csp-implemented-with-no-unsafe"


def test_csp_empty_source_list_means_none():
    assert csp_result("default-src; script-src 'self'") == (
        "csp-implemented-with-no-unsafe-default-src-none"
    )


def test_csp_duplicate_report_directives_are_allowed():
    policy = STRICT + "; report-uri /a/; report-uri /b/"
    assert csp_result(policy) == "csp-implemented-with-no-unsafe-default-src-none"


def test_csp_several_policies_intersect():
    # The second policy takes 'unsafe-inline' away from script-src.
    lax = "default-src 'none'; script-src 'self' 'unsafe-inline'"
    strict = "default-src 'none'; script-src 'self'"
    the_site = site(
        replace={"Content-Security-Policy": lax}, headers=[("Content-Security-Policy", strict)]
    )
    assert result("content-security-policy", the_site) == (
        "csp-implemented-with-no-unsafe-default-src-none"
    )
    assert csp_result(f"{lax}, {strict}") == "csp-implemented-with-no-unsafe-default-src-none"


def test_csp_missing_and_report_only():
    assert csp_result(None) == "csp-not-implemented"
    report_only = [("Content-Security-Policy-Report-Only", STRICT)]
    the_site = site(replace={"Content-Security-Policy": None}, headers=report_only)
    assert result("content-security-policy", the_site) == (
        "csp-not-implemented-but-reporting-enabled"
    )


# -- Observatory: the other tests ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("replace", "expected"),
    [
        ({}, "x-frame-options-implemented-via-csp"),
        ({"Content-Security-Policy": "default-src 'none'"}, "x-frame-options-sameorigin-or-deny"),
        (
            {
                "Content-Security-Policy": "default-src 'none'",
                "X-Frame-Options": "ALLOW-FROM https://x.test",
            },
            "x-frame-options-allow-from-origin",
        ),
        (
            {"Content-Security-Policy": "default-src 'none'", "X-Frame-Options": "ALLOWALL"},
            "x-frame-options-header-invalid",
        ),
        (
            {"Content-Security-Policy": "default-src 'none'", "X-Frame-Options": None},
            "x-frame-options-not-implemented",
        ),
        # An unparseable CSP cannot stand in for X-Frame-Options.
        (
            {"Content-Security-Policy": "frame-ancestors 'none'; frame-ancestors *"},
            "x-frame-options-sameorigin-or-deny",
        ),
    ],
)
def test_x_frame_options(replace, expected):
    assert result("x-frame-options", site(replace=replace)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("no-referrer", "referrer-policy-private"),
        ("same-origin", "referrer-policy-private"),
        ("strict-origin", "referrer-policy-private"),
        ("strict-origin-when-cross-origin", "referrer-policy-private"),
        ("unsafe-url", "referrer-policy-unsafe"),
        ("no-referrer-when-downgrade", "referrer-policy-unsafe"),
        ("no-referrer, unsafe-url", "referrer-policy-unsafe"),
        ("unsafe-url, no-referrer, whatever", "referrer-policy-private"),
        ("whatever", "referrer-policy-header-invalid"),
        (None, "referrer-policy-not-implemented"),
    ],
)
def test_referrer_policy(value, expected):
    assert result("referrer-policy", site(replace={"Referrer-Policy": value})) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("nosniff", "x-content-type-options-nosniff"),
        (" NoSniff ", "x-content-type-options-nosniff"),
        ("sniff", "x-content-type-options-header-invalid"),
        (None, "x-content-type-options-not-implemented"),
    ],
)
def test_x_content_type_options(value, expected):
    assert (
        result("x-content-type-options", site(replace={"X-Content-Type-Options": value}))
        == expected
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("max-age=15552000", "hsts-implemented-max-age-at-least-six-months"),
        ("max-age=15551999; includeSubDomains", "hsts-implemented-max-age-less-than-six-months"),
        ("includeSubDomains", "hsts-header-invalid"),
        ("max-age=abc", "hsts-header-invalid"),
        ("max-age=1, max-age=2", "hsts-header-invalid"),
        (None, "hsts-not-implemented"),
    ],
)
def test_hsts(value, expected):
    assert (
        result("strict-transport-security", site(replace={"Strict-Transport-Security": value}))
        == expected
    )


def test_hsts_needs_https_and_counts_preloading():
    assert result("strict-transport-security", site(https=False)) == "hsts-not-implemented-no-https"
    assert result("strict-transport-security", site(hsts_preloaded=True)) == "hsts-preloaded"


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (HTTPS_ROUTE, "redirection-to-https"),
        (["http://a.test/", "https://a.test/", "https://b.test/"], "redirection-to-https"),
        (None, "redirection-not-needed-no-http"),
        (["http://a.test/"], "redirection-missing"),
        (["http://a.test/", "http://b.test/"], "redirection-not-to-https"),
        (
            ["http://a.test/", "http://a.test/x", "https://a.test/"],
            "redirection-not-to-https-on-initial-redirection",
        ),
        (["http://a.test/", "https://www.a.test/"], "redirection-off-host-from-http"),
    ],
)
def test_redirection(route, expected):
    assert result("redirection", site(route=route)) == expected


def test_redirection_of_a_preloaded_host():
    assert result("redirection", site(route=["http://a.test/"], hsts_preloaded=True)) == (
        "redirection-all-redirects-preloaded"
    )


SESSION = "sessionid=x; HttpOnly; Path=/; SameSite=Lax; Secure"


@pytest.mark.parametrize(
    ("cookies", "expected"),
    [
        ((), "cookies-not-found"),
        ((CSRF_COOKIE, SESSION), "cookies-secure-with-httponly-sessions-and-samesite"),
        (("theme=dark; Path=/; Secure",), "cookies-secure-with-httponly-sessions"),
        (
            ("theme=dark; Path=/; SameSite=Lax",),
            "cookies-without-secure-flag-but-protected-by-hsts",
        ),
        (
            ("theme=dark; SameSite=Strict; Secure", "x=1; SameSite=Sometimes; Secure"),
            "cookies-samesite-flag-invalid",
        ),
        (("x=1; SameSite=None",), "cookies-samesite-flag-invalid"),
        (("csrftoken=a; Secure",), "cookies-anticsrf-without-samesite-flag"),
        (("sessionid=x; Path=/; SameSite=Lax; Secure",), "cookies-session-without-httponly-flag"),
        (
            ("sessionid=x; HttpOnly; SameSite=Lax",),
            "cookies-session-without-secure-flag-but-protected-by-hsts",
        ),
        # The worst problem wins, whatever the order.
        (
            (SESSION.replace("; Secure", ""), "csrftoken=a; Secure"),
            "cookies-anticsrf-without-samesite-flag",
        ),
    ],
)
def test_cookies(cookies, expected):
    assert result("cookies", site(cookies=cookies)) == expected


def test_cookies_without_hsts():
    no_hsts = {"Strict-Transport-Security": None}
    assert result("cookies", site(replace=no_hsts, cookies=["theme=1; SameSite=Lax"])) == (
        "cookies-without-secure-flag"
    )
    assert result(
        "cookies", site(replace=no_hsts, cookies=["login=1; HttpOnly; SameSite=Lax"])
    ) == ("cookies-session-without-secure-flag")


def test_cookie_parse():
    assert observatory.Cookie.parse(
        "sessionid=a=b; HttpOnly; SameSite=Lax; secure"
    ) == observatory.Cookie("sessionid", secure=True, http_only=True, same_site="Lax")
    assert observatory.Cookie.parse("x=1") == observatory.Cookie("x", False, False, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("same-origin", "corp-implemented-with-same-origin"),
        ("Same-Site", "corp-implemented-with-same-site"),
        ("cross-origin", "corp-implemented-with-cross-origin"),
        ("nonsense", "corp-header-invalid"),
        (None, "corp-not-implemented"),
    ],
)
def test_cross_origin_resource_policy(value, expected):
    header = [("Cross-Origin-Resource-Policy", value)] if value else []
    assert result("cross-origin-resource-policy", site(headers=header)) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["same-origin"], "coop-implemented-with-same-origin"),
        (['same-origin; report-to="coop"'], "coop-implemented-with-same-origin"),
        (["same-origin-allow-popups"], "coop-implemented-with-same-origin-allow-popups"),
        (["noopener-allow-popups"], "coop-implemented-with-noopener-allow-popups"),
        (["unsafe-none"], "coop-implemented-with-unsafe-none"),
        (["nonsense"], "coop-header-invalid"),
        (["same-origin", "same-origin"], "coop-header-invalid"),
        ([], "coop-not-implemented"),
    ],
)
def test_cross_origin_opener_policy(values, expected):
    headers = [("Cross-Origin-Opener-Policy", v) for v in values]
    the_site = site(replace={"Cross-Origin-Opener-Policy": None}, headers=headers)
    assert result("cross-origin-opener-policy", the_site) == expected


# -- Observatory: the score ----------------------------------------------------------------------


def test_strict_site_scores_135():
    grade = observatory.observatory_grade(site())

    assert (grade.score, grade.grade, grade.uncurved, grade.extra_credit) == (135, "A+", 100, True)
    assert {t.test: t.modifier for t in grade.tests if t.modifier} == {
        "content-security-policy": 10,
        "cookies": 5,
        "cross-origin-opener-policy": 10,
        "referrer-policy": 5,
        "x-frame-options": 5,
    }
    assert all(t.passed for t in grade.tests)


def test_corp_same_origin_adds_ten():
    grade = observatory.observatory_grade(
        site(headers=[("Cross-Origin-Resource-Policy", "same-origin")])
    )
    assert grade.score == 145


def test_bonuses_count_only_from_an_uncurved_90():
    # -10 keeps the uncurved score at 90: bonuses still count.
    at_90 = observatory.observatory_grade(site(replace={"Strict-Transport-Security": "max-age=60"}))
    assert (at_90.uncurved, at_90.extra_credit, at_90.score) == (90, True, 125)
    # -20 takes it to 80: no bonuses.
    at_80 = observatory.observatory_grade(site(route=["http://a.test/"]))
    assert (at_80.uncurved, at_80.extra_credit, at_80.score, at_80.grade) == (80, False, 80, "B+")
    assert not next(t for t in at_80.tests if t.test == "redirection").passed


def test_score_never_goes_below_zero():
    bare = observatory.Site(headers=[], set_cookies=["sessionid=1"], http_route=["http://a.test/"])
    grade = observatory.observatory_grade(bare)

    assert grade.uncurved < 0
    assert (grade.score, grade.grade) == (0, "F")


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (145, "A+"),
        (100, "A+"),
        (99, "A"),
        (90, "A"),
        (85, "A-"),
        (80, "B+"),
        (79, "B"),
        (70, "B"),
        (65, "B-"),
        (60, "C+"),
        (50, "C"),
        (45, "C-"),
        (40, "D+"),
        (30, "D"),
        (25, "D-"),
        (24, "F"),
        (-5, "F"),
    ],
)
def test_grade_bands(score, grade):
    assert observatory.grade_for(score) == grade


def test_every_result_has_a_modifier_and_a_description():
    for name, (modifier, description) in observatory.RESULTS.items():
        assert -50 <= modifier <= 10, name
        assert description.endswith("."), name
