"""The Ninja flavour's interactive docs: Swagger UI from static files under the strict policy,
and the OpenAPI schema it reads."""

from __future__ import annotations

import json
import re
import warnings

from django.test import TestCase, override_settings
from django.urls import reverse
from ninja import NinjaAPI

from django_six_demos import compat, conf
from django_six_demos.api import ninja_api
from django_six_demos.csp_header import ENFORCED, REPORT_ONLY, parse
from tests.csp_utils import header_nonces

DOCS = reverse("django_six_demos_api:ninja:openapi-view")
SCHEMA = reverse("django_six_demos_api:ninja:openapi-json")
TALKS = reverse("django_six_demos_api:ninja:talks")
TALK = reverse("django_six_demos_api:ninja:talk", args=[1])
SCRIPT = re.compile(r"<script\b([^>]*)>")


class DocsPageTests(TestCase):
    def test_swagger_ui_and_our_script_load_from_static_files_with_the_nonce(self):
        response = self.client.get(DOCS)

        assert response.status_code == 200
        html = response.content.decode()
        [nonce] = header_nonces(response)
        scripts = SCRIPT.findall(html)
        sources = [re.search(r'src="([^"]+)"', attrs) for attrs in scripts]
        assert [s[1] for s in sources if s] == [
            "/static/ninja/swagger-ui-bundle.js",
            "/static/ninja/swagger-ui-init.js",
            # Ours, after Swagger UI's: names the controls it draws without one.
            "/static/django_six_demos/api/swagger-a11y.js",
        ]
        for attrs, source in zip(scripts, sources, strict=True):
            if source:
                assert f'nonce="{nonce}"' in attrs, attrs
            else:  # The settings: data, never run.
                assert 'type="application/json"' in attrs, attrs
        assert "/static/ninja/swagger-ui.css" in html
        assert "cdn" not in html.lower()

    def test_swagger_ui_reads_this_apis_schema(self):
        html = self.client.get(DOCS).content.decode()

        settings = re.search(r'<script id="swagger-settings"[^>]*>(.*?)</script>', html, re.S)
        assert settings
        assert json.loads(settings[1])["url"] == SCHEMA

    def test_the_page_fits_the_site(self):
        response = self.client.get(DOCS)

        html = response.content.decode()
        assert '<html lang="en">' in html
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        assert "<title>Talks API: interactive docs</title>" in html
        assert f'href="{reverse("django_six_demos_api:index")}"' in html
        assert "<h1>" in html

    def test_try_it_out_sends_the_csrf_token(self):
        response = self.client.get(DOCS)

        token = re.search(r'data-csrf-token="([^"]+)"', response.content.decode())
        assert token and token[1]
        assert 'data-api-csrf="true"' in response.content.decode()
        assert "csrftoken" in response.cookies

    def test_only_the_docs_allow_data_images(self):
        # Swagger UI's stylesheet draws its icons as data: images.
        docs = parse(self.client.get(DOCS)[ENFORCED])
        site = parse(self.client.get(reverse("django_six_demos_api:index"))[ENFORCED])

        assert docs["img-src"] == ["'self'", "data:"]
        assert "data:" not in site["img-src"]
        for url in (TALKS, TALK):
            assert "data:" not in parse(self.client.get(url)[ENFORCED])["img-src"], url
        # Ninja wraps both of its docs URLs in docs_decorator: the JSON schema shows no image.
        assert "data:" in parse(self.client.get(SCHEMA)[ENFORCED])["img-src"]
        # Nothing else is loosened: the same directives, scripts by nonce only.
        others = {name for name in site if name not in ("img-src", "script-src")}
        assert {name: docs[name] for name in others} == {name: site[name] for name in others}
        assert docs["script-src"][0].startswith("'nonce-")
        assert docs["script-src"][1:] == site["script-src"][1:] == ["'strict-dynamic'"]

    def test_a_report_only_policy_allows_the_data_images_too(self):
        # Or the browser would report each of Swagger UI's icons.
        policies = compat.csp_settings(
            conf.strict_policy(), report_only=conf.strict_policy(report_uri="/report/")
        )
        with override_settings(**policies):
            docs = self.client.get(DOCS)
            site = self.client.get(reverse("django_six_demos_api:index"))

        reported = parse(docs[REPORT_ONLY])
        assert reported["img-src"] == ["'self'", "data:"]
        assert reported["report-uri"] == ["/report/"]
        assert "data:" not in parse(site[REPORT_ONLY])["img-src"]
        assert header_nonces(docs, REPORT_ONLY) == header_nonces(docs)

    def test_no_report_only_policy_of_its_own(self):
        assert REPORT_ONLY not in self.client.get(DOCS)


class SchemaTests(TestCase):
    def test_the_schema_describes_the_four_operations(self):
        response = self.client.get(SCHEMA)

        assert response.status_code == 200
        paths = response.json()["paths"]
        assert {path: sorted(operations) for path, operations in paths.items()} == {
            TALKS: ["get", "post"],
            TALKS + "{pk}/": ["get", "patch"],
        }

    def test_writes_need_the_session_and_reads_do_not(self):
        paths = self.client.get(SCHEMA).json()["paths"]

        for path, method in ((TALKS, "post"), (TALKS + "{pk}/", "patch")):
            assert paths[path][method]["security"] == [{"SessionAuth": []}]
        for path in (TALKS, TALKS + "{pk}/"):
            assert "security" not in paths[path]["get"]

    def test_the_list_parameters_and_their_rules(self):
        schema = self.client.get(SCHEMA).json()
        parameters = {p["name"]: p for p in schema["paths"][TALKS]["get"]["parameters"]}

        assert list(parameters) == ["track", "level", "page", "page_size"]
        assert all(p["in"] == "query" and not p["required"] for p in parameters.values())
        page_size = parameters["page_size"]["schema"]
        assert (page_size["minimum"], page_size["maximum"], page_size["default"]) == (1, 100, 20)

    def test_the_create_body_says_each_fields_rules(self):
        schema = self.client.get(SCHEMA).json()
        talk_in = schema["components"]["schemas"]["TalkIn"]

        assert sorted(talk_in["required"]) == ["abstract", "duration", "level", "title", "track"]
        assert talk_in["additionalProperties"] is False
        title = talk_in["properties"]["title"]
        assert (title["minLength"], title["maxLength"]) == (3, 200)
        duration = talk_in["properties"]["duration"]
        assert (duration["minimum"], duration["maximum"]) == (5, 180)


class NamespaceTests(TestCase):
    def test_a_second_api_in_the_same_namespace_is_no_error(self):
        # Older Ninja releases refused it unless NINJA_SKIP_REGISTRY was set.
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            again = NinjaAPI(urls_namespace=ninja_api.api.urls_namespace)
            patterns, _, namespace = again.urls

        assert namespace == "ninja"
        assert patterns
