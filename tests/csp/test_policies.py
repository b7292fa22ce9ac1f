from __future__ import annotations

from django.test import SimpleTestCase, override_settings

from django_six_demos import compat, conf, csp_policy
from django_six_demos.csp import policies


class ReasonTests(SimpleTestCase):
    def test_every_directive_of_the_configured_policies_has_a_reason(self):
        configured = compat.configured_policies()

        assert configured["enforce"]
        for policy in configured.values():
            assert policies.missing_reasons(policy) == []

    def test_every_directive_of_the_strict_policy_with_reporting_has_a_reason(self):
        policy = conf.strict_policy(report_uri="/csp/report/", report_to="csp")

        assert "report-uri" in policy
        assert "report-to" in policy
        assert policies.missing_reasons(policy) == []

    def test_the_demo_settings_with_a_collector_have_a_reason_for_every_directive(self):
        settings = conf.demo_settings([], csp_report_uri="/csp/report/")

        with override_settings(**settings):
            for policy in compat.configured_policies().values():
                assert policies.missing_reasons(policy) == []

    def test_a_directive_without_a_reason_is_found(self):
        policy = {"default-src": [csp_policy.NONE], "prefetch-src": [csp_policy.SELF]}

        assert policies.missing_reasons(policy) == ["prefetch-src"]

    def test_reasons_are_sentences(self):
        for name, reason in policies.REASONS.items():
            assert reason.endswith("."), name


class ExplainTests(SimpleTestCase):
    def test_sources_are_spelled_as_in_the_header_with_the_nonce_elided(self):
        explained = policies.explain({"script-src": [csp_policy.NONCE, csp_policy.STRICT_DYNAMIC]})

        assert explained == [
            policies.ExplainedDirective(
                "script-src",
                ("'nonce-…'", "'strict-dynamic'"),
                policies.REASONS["script-src"],
            )
        ]

    def test_a_bare_directive_has_no_sources_and_unsent_ones_are_left_out(self):
        explained = policies.explain(
            {"upgrade-insecure-requests": True, "img-src": None, "sandbox": False}
        )

        assert [(d.name, d.sources) for d in explained] == [("upgrade-insecure-requests", ())]

    def test_directives_keep_the_policy_order(self):
        policy = conf.strict_policy()

        assert [d.name for d in policies.explain(policy)] == list(policy)

    def test_reporting_lists_report_uri_and_report_to(self):
        policy = conf.strict_policy(report_uri="/csp/report/", report_to="csp")

        assert policies.reporting(policy) == ["report-uri /csp/report/", "report-to csp"]
        assert policies.reporting(conf.strict_policy()) == []
        assert policies.reporting({"report-uri": True}) == []


class PerViewPolicyTests(SimpleTestCase):
    def test_the_probe_image_is_a_data_url_the_strict_policy_refuses(self):
        assert policies.PROBE_IMAGE.startswith("data:image/svg+xml,")
        assert "data:" not in conf.strict_policy()["img-src"]
        # Nothing in it could run or need style-src: attributes only.
        for word in ("script", "style", "on", "href"):
            assert f"%3C{word}" not in policies.PROBE_IMAGE
        assert " style=" not in policies.PROBE_IMAGE

    def test_the_extension_adds_data_images_to_the_site_policy(self):
        merged = csp_policy.merge_directives(conf.strict_policy(), policies.EXTENDED)

        assert merged["img-src"] == [csp_policy.SELF, "data:"]
        assert {k: v for k, v in merged.items() if k != "img-src"} == {
            k: v for k, v in conf.strict_policy().items() if k != "img-src"
        }
