from __future__ import annotations

import json
import re
import sqlite3
from importlib import metadata

import django
from django.test import TestCase
from django.urls import reverse

from django_six_demos import compat
from django_six_demos.demo import gated, installed_demos, release_series
from tests.csp_utils import header_nonces, page_nonces, parse_csp


class HomePageTests(TestCase):
    def test_csp_header_nonce_equals_the_nonce_in_the_page(self):
        response = self.client.get(reverse("django_six_demos_index"))

        assert response.status_code == 200
        [nonce] = header_nonces(response)
        assert page_nonces(response.text) == {nonce}
        # htmx itself is loaded with that nonce.
        assert f'htmx-2.min.js" defer nonce="{nonce}"' in response.text

    def test_policy_is_the_strict_one(self):
        response = self.client.get(reverse("django_six_demos_index"))

        policy = parse_csp(response.headers["Content-Security-Policy"])
        assert policy["default-src"] == ["'none'"]
        assert "'strict-dynamic'" in policy["script-src"]
        assert "'self'" not in policy["script-src"]
        for directive in ("base-uri", "object-src", "frame-ancestors"):
            assert policy[directive] == ["'none'"]
        for directive in ("form-action", "style-src", "img-src", "connect-src"):
            assert policy[directive] == ["'self'"]

    def test_each_request_gets_a_new_nonce(self):
        url = reverse("django_six_demos_index")
        nonces = {header_nonces(self.client.get(url))[0] for _ in range(5)}
        assert len(nonces) == 5

    def test_htmx_is_configured_for_a_strict_csp(self):
        response = self.client.get(reverse("django_six_demos_index"))

        config = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'>', response.text)
        assert config is not None
        assert json.loads(config.group(1)) | {"responseHandling": None} == {
            "includeIndicatorStyles": False,
            "allowEval": False,
            "allowScriptTags": False,
            "selfRequestsOnly": True,
            "responseHandling": None,
        }
        assert "style=" not in response.text
        assert " hx-on" not in response.text

    def test_csrf_token_rides_on_htmx_requests(self):
        response = self.client.get(reverse("django_six_demos_index"))

        token = response.context["csrf_token"]
        assert f'<body hx-headers=\'{{"X-CSRFToken": "{token}"}}\'>' in response.text

    def test_lists_the_seven_demos_with_links(self):
        response = self.client.get(reverse("django_six_demos_index"))

        for url_name in (
            "django_six_demos_partials:index",
            "django_six_demos_csp:index",
            "django_six_demos_tasks:index",
            "django_six_demos_sqlite:index",
            "demos-crud-index",
            "django_six_demos_streaming:index",
            "django_six_demos_api:index",
        ):
            assert f'href="{reverse(url_name)}"' in response.text

    def test_labels_where_each_feature_comes_from(self):
        response = self.client.get(reverse("django_six_demos_index"))

        core = f"Django {gated('', 'csp').version} (core)"
        if compat.HAS_BUILTIN_CSP:
            # partials, CSP, tasks API; async views (streaming) and JSON views (api),
            # core on every line
            assert response.text.count(core) == 5
            assert "django-csp" not in response.text
            assert "django-template-partials" not in response.text
        else:
            # Only async views (streaming) and JSON views (api): the Django 6 features
            # come from backports.
            assert response.text.count("(core)") == 2
            for package in ("django-template-partials", "django-csp", "django-tasks"):
                version = gated(
                    "",
                    {
                        "django-template-partials": "partials",
                        "django-csp": "csp",
                        "django-tasks": "tasks",
                    }[package],
                ).version
                assert f"{package} {version}" in response.text
        assert "django-tasks-db 0." in response.text
        assert "neapolitan " in response.text
        assert "dj-lite " in response.text
        for package in ("djangorestframework ", "django-ninja ", "msgspec "):
            assert package in response.text

    def test_post_is_refused_with_a_policy_but_no_unused_nonce(self):
        response = self.client.post(reverse("django_six_demos_index"))

        assert response.status_code == 405
        # The nonce is lazy: a response that never printed it does not carry it.
        assert parse_csp(response.headers["Content-Security-Policy"])["default-src"] == ["'none'"]
        assert header_nonces(response) == []


class RoomPageTests(TestCase):
    def test_every_room_page_renders_under_the_strict_policy(self):
        for url_name in (
            "django_six_demos_partials:index",
            "django_six_demos_csp:index",
            "django_six_demos_tasks:index",
            "django_six_demos_sqlite:index",
            "demos-crud-index",
            "django_six_demos_streaming:index",
            "django_six_demos_api:index",
        ):
            with self.subTest(url_name):
                response = self.client.get(reverse(url_name))

                assert response.status_code == 200
                [nonce] = header_nonces(response)
                assert page_nonces(response.text) == {nonce}

    def test_the_home_page_lists_the_installed_demos_in_their_order(self):
        home = self.client.get(reverse("django_six_demos_index"))

        assert re.findall(r'<li class="room" id="room-(\w+)">', home.text) == [
            "partials",
            "csp",
            "tasks",
            "sqlite",
            "crud",
            "streaming",
            "api",
        ]
        assert [demo.slug for demo in installed_demos()] == [
            "partials",
            "csp",
            "tasks",
            "sqlite",
            "crud",
            "streaming",
            "api",
        ]

    def test_the_home_page_claims_no_package_is_a_django_feature(self):
        home = self.client.get(reverse("django_six_demos_index"))

        assert "Django 6's features and the packages that complete them" in home.text
        assert "Five features" not in home.text

    def test_a_room_page_links_its_own_stylesheet_and_the_home_page_none(self):
        home = self.client.get(reverse("django_six_demos_index")).text
        crud = self.client.get(reverse("demos-crud-index")).text

        assert re.findall(r'href="(/static/[^"]+\.css)"', home) == [
            "/static/django_six_demos/demos.css"
        ]
        assert re.findall(r'href="(/static/[^"]+\.css)"', crud) == [
            "/static/django_six_demos/demos.css",
            "/static/django_six_demos/crud/crud.css",
        ]

    def test_room_page_says_where_the_feature_comes_from(self):
        response = self.client.get(reverse("django_six_demos_csp:index"))

        source = gated("", "csp")
        expected = (
            f"Django {source.version} (core)" if source.is_core else f"django-csp {source.version}"
        )
        assert expected in response.text


# Every page that names Django's version or a package's: the home page, each
# room, and the pages built from demo.gated().
VERSIONED_PAGES = (
    "django_six_demos_index",
    "django_six_demos_partials:index",
    "django_six_demos_partials:migrate",
    "django_six_demos_partials:gotchas",
    "django_six_demos_csp:index",
    "django_six_demos_csp:migrate",
    "django_six_demos_tasks:index",
    "django_six_demos_sqlite:index",
    "demos-crud-index",
)


class VersionTests(TestCase):
    """Pages name release series ("6.1"), never the exact release a visitor could look up."""

    def test_pages_never_print_the_exact_django_release(self):
        exact = django.get_version()
        for url_name in VERSIONED_PAGES:
            with self.subTest(url_name):
                response = self.client.get(reverse(url_name))

                assert response.status_code == 200
                assert f"running on Django {compat.DJANGO_LINE}<" in response.text
                if exact != compat.DJANGO_LINE:  # "6.1.3", not "6.1"
                    assert exact not in response.text

    def test_the_sources_name_package_series_only(self):
        for demo in installed_demos():
            for source in demo.sources():
                if source.is_core:
                    exact = django.get_version()
                elif source.provider == "SQLite":
                    exact = sqlite3.sqlite_version
                else:
                    exact = metadata.version(source.provider)
                with self.subTest(source.provider):
                    assert source.version == release_series(exact)
        home = self.client.get(reverse("django_six_demos_index")).text
        for distribution in ("django-tasks-db", "neapolitan", "django-filter", "dj-lite"):
            exact = metadata.version(distribution)
            assert f"{distribution} {release_series(exact)}<" in home
            if exact != release_series(exact):
                assert f"{distribution} {exact}<" not in home
