from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import os
import re
import tempfile
from pathlib import Path
from types import ModuleType

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.test import RequestFactory, SimpleTestCase, override_settings
from django.urls import resolve, reverse

from django_six_demos import frame, views
from django_six_demos.csp import views as csp_views
from django_six_demos.middleware import DemoFrameMiddleware

PACKAGE = Path(views.__file__).parent


def through_frame_middleware(
    request: HttpRequest, content: str, content_type: str = "text/html"
) -> bytes:
    response = DemoFrameMiddleware(lambda r: HttpResponse(content, content_type=content_type))(
        request
    )
    assert isinstance(response, HttpResponse)
    return response.content


def function_source_on_disk(path: Path, name: str) -> str:
    text = path.read_text()
    node = next(
        n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name == name
    )
    lines = text.splitlines(keepends=True)
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return "".join(lines[first - 1 : node.end_lineno])


def import_file(path: Path) -> ModuleType:
    """Import ``path`` as a module of its own (not in sys.modules)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class SourcePanelTests(SimpleTestCase):
    def test_shows_the_view_source_as_it_is_on_disk(self):
        response = self.client.get(reverse("django_six_demos_csp:index"))

        on_disk = function_source_on_disk(PACKAGE / "csp" / "views.py", "index")
        assert frame.highlight(on_disk, "python") in response.text
        assert "django_six_demos/csp/views.py" in response.text

    def test_shows_the_page_template_as_it_is_on_disk(self):
        response = self.client.get(reverse("django_six_demos_csp:index"))

        template = PACKAGE / "csp" / "templates" / "django_six_demos" / "csp" / "index.html"
        assert frame.highlight(template.read_text(), "django") in response.text
        assert '<code class="source-title">django_six_demos/csp/index.html</code>' in response.text

    def test_template_source_is_reread_on_every_request(self):
        """The cached loader keeps compiled templates; the panel shows today's file."""
        with tempfile.TemporaryDirectory() as directory:
            templates = [{**settings.TEMPLATES[0], "DIRS": [directory]}]
            page = Path(directory) / "fresh.html"
            old = '{% extends "django_six_demos/base.html" %}{% block content %}one{% endblock %}'
            new = old.replace("one", "two")
            request = RequestFactory().get("/")
            request.resolver_match = resolve(reverse("django_six_demos_index"))
            with self.settings(TEMPLATES=templates):
                page.write_text(old)
                first = TemplateResponse(request, "fresh.html").render().text
                page.write_text(new)
                second = TemplateResponse(request, "fresh.html").render().text

        assert frame.highlight(old, "django") in first
        assert frame.highlight(new, "django") in second

    def test_an_edited_view_shows_on_the_next_request(self):
        """The view's source is cached by file version: an edit is a new version."""
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "edited_views.py"
            path.write_text("def page(request):\n    return 'one'\n")
            page = import_file(path).page
            first = frame.view_source(page)
            # The module is not reloaded: the running code still says 'one'.
            path.write_text("def page(request):\n    return 'one, then two'\n")
            second = frame.view_source(page)
            again = frame.view_source(page)

        assert first is not None and second is not None
        assert first.code == "def page(request):\n    return 'one'\n"
        assert second.code == "def page(request):\n    return 'one, then two'\n"
        assert again is second  # from the cache, the file unchanged
        assert frame.highlight(second.code, "python") == second.html

    def test_an_edit_of_the_same_size_with_the_old_mtime_shows_too(self):
        """As an editor saving by rename, or rsync -t, leaves it: size and mtime unchanged."""
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "same_size_views.py"
            path.write_text("def page(request):\n    return 'aaa'\n")
            page = import_file(path).page
            first = frame.view_source(page)
            mtime = path.stat().st_mtime_ns
            replacement = Path(directory) / "replacement.tmp"
            replacement.write_text("def page(request):\n    return 'bbb'\n")
            os.utime(replacement, ns=(mtime, mtime))
            os.replace(replacement, path)
            second = frame.view_source(page)

        assert first is not None and second is not None
        assert "'aaa'" in first.code
        assert "'bbb'" in second.code

    def test_a_deleted_view_file_has_no_source(self):
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "deleted_views.py"
            path.write_text("def page(request):\n    return 'gone'\n")
            page = import_file(path).page
            assert frame.view_source(page) is not None
            path.unlink()

            assert frame.view_source(page) is None

    def test_class_based_views_show_the_class(self):
        class ExampleView:
            pass

        source = frame.view_source(ExampleView)

        assert source is not None
        assert source.code.startswith("        class ExampleView:")
        assert source.title.endswith("ExampleView")

    def test_builtins_have_no_source(self):
        assert frame.view_source(len) is None

    def test_highlight_css_is_served_with_classes_for_both_schemes(self):
        response = self.client.get(reverse("django_six_demos_highlight_css"))

        assert response["Content-Type"] == "text/css; charset=utf-8"
        assert ".source-code .k" in response.text
        assert "prefers-color-scheme: dark" in response.text


class HighlightCacheTests(SimpleTestCase):
    def test_the_same_text_is_highlighted_once(self):
        code = "answer = 42  # highlighted once\n"
        before = frame._highlighted.cache_info().misses
        first = frame.highlight(code, "python")
        # Equal text read again (another string object) is a hit.
        second = frame.highlight("".join(["answer = 42", "  # highlighted once\n"]), "python")

        assert second == first
        assert frame._highlighted.cache_info().misses == before + 1

    def test_another_text_or_language_is_highlighted_anew(self):
        python = frame.highlight("{% if x %}\n", "python")
        django = frame.highlight("{% if x %}\n", "django")
        edited = frame.highlight("{% if y %}\n", "django")

        assert len({python, django, edited}) == 3
        assert '<span class="cp">{%</span>' in django

    def test_the_cache_is_bounded(self):
        for number in range(frame.HIGHLIGHT_CACHE_SIZE + 10):
            frame.highlight(f"value = {number}\n", "python")

        info = frame._highlighted.cache_info()
        assert info.maxsize == frame.HIGHLIGHT_CACHE_SIZE
        assert info.currsize == frame.HIGHLIGHT_CACHE_SIZE

    def test_the_source_caches_are_bounded(self):
        assert frame._view_source.cache_info().maxsize == frame.SOURCE_CACHE_SIZE
        assert frame.display_path.cache_info().maxsize == frame.SOURCE_CACHE_SIZE
        assert frame.partial_source.cache_info().maxsize == frame.SOURCE_CACHE_SIZE


class PartialSourceTests(SimpleTestCase):
    template = (
        "<h1>Talks</h1>\n"
        "{% partialdef results inline %}<ul>{% partialdef row %}<li>x</li>{% endpartialdef %}"
        "</ul>{% endpartialdef results %}\n"
        "{% partialdef footer %}<p>end</p>{% endpartialdef %}"
    )

    def test_extracts_a_partial_with_nested_partials(self):
        assert frame.partial_source(self.template, "results") == (
            "{% partialdef results inline %}<ul>{% partialdef row %}<li>x</li>{% endpartialdef %}"
            "</ul>{% endpartialdef results %}"
        )

    def test_extracts_the_nested_partial(self):
        assert frame.partial_source(self.template, "row") == (
            "{% partialdef row %}<li>x</li>{% endpartialdef %}"
        )

    def test_unknown_partial_is_none(self):
        assert frame.partial_source(self.template, "missing") is None


class CspParsingTests(SimpleTestCase):
    def test_parse_keeps_header_order(self):
        parsed = frame.parse_csp("default-src 'none'; script-src 'nonce-abc' 'strict-dynamic';;")

        assert parsed == [
            ("default-src", ["'none'"]),
            ("script-src", ["'nonce-abc'", "'strict-dynamic'"]),
        ]
        assert frame.header_nonce(parsed) == "abc"

    def test_nonce_verdicts(self):
        policy = frame.Policy("Content-Security-Policy", [], "abc")
        no_nonce = frame.Policy("Content-Security-Policy", [], None)

        assert frame._nonce_verdict([policy], ["abc", "abc"]) == (
            "Matches: 2 elements carry the header's nonce.",
            True,
        )
        assert frame._nonce_verdict([policy], ["abc", "zzz"])[1] is False
        assert frame._nonce_verdict([no_nonce], [])[1] is True
        assert frame._nonce_verdict([no_nonce], ["abc"])[1] is False
        assert frame._nonce_verdict([], [])[1] is False


class PageNonceTests(SimpleTestCase):
    def test_finds_nonce_attributes_in_order(self):
        body = '<script nonce="a"></script>\n<style\tnonce=\'b\'></style><link\nnonce="">'

        assert frame.find_page_nonces(body) == ["a", "b", ""]

    def test_ignores_what_is_not_a_nonce_attribute(self):
        body = '<div data-nonce="x"></div>nonce="y" <p>nonce=z</p><code>nonce=&quot;w&quot;</code>'

        assert frame.find_page_nonces(body) == []

    def test_agrees_with_a_whitespace_anchored_pattern(self):
        """The fast scan finds what ``\\snonce=`` would, overlaps included."""
        pattern = re.compile(r"""\snonce=["']([^"']*)["']""")
        bodies = [
            'xnonce="a nonce="b"',
            '<a nonce="1" nonce=\'2\'> nonce="3',
            ' nonce=\'q nonce="r"\' nonce="s"',
            'nonce="start" <b nonce="x">',
        ]
        for body in bodies:
            assert frame.find_page_nonces(body) == pattern.findall(body), body


class InspectorTests(SimpleTestCase):
    def test_full_page_inspector_shows_status_view_template_and_csp(self):
        response = self.client.get(reverse("django_six_demos_csp:index"))

        assert "<!--demo-inspector-->" not in response.text
        assert '<dd class="status status-2xx">200 OK</dd>' in response.text
        assert "<code>django_six_demos.csp.views.index</code>" in response.text
        assert (
            '<code class="rendered-template">django_six_demos/csp/index.html</code>'
            in response.text
        )
        assert "<caption><code>Content-Security-Policy</code></caption>" in response.text
        # Every script on the page (htmx, frame.js, the room's own) carries the nonce.
        scripts = response.text.count("<script ")
        assert scripts >= 2
        assert f"Matches: {scripts} elements carry the header&#x27;s nonce." in response.text
        # CommonMiddleware set Content-Length before the inspector grew the body.
        assert int(response["Content-Length"]) == len(response.content)

    def test_htmx_swap_from_a_demo_view_is_untouched_and_described_in_a_header(self):
        request = RequestFactory().get(
            "/demos/", headers={"HX-Request": "true", "HX-Target": "rows"}
        )
        request.resolver_match = resolve(reverse("django_six_demos_index"))

        response = DemoFrameMiddleware(lambda r: HttpResponse("<ul id=rows></ul>"))(request)

        assert isinstance(response, HttpResponse)
        # Byte for byte what the view returned: the partials demo compares it.
        assert response.content == b"<ul id=rows></ul>"
        facts = json.loads(response["Demo-Inspection"])
        assert facts["view"] == "django_six_demos.views.index"
        assert facts["template"] is None
        assert facts["queries"] == 0
        assert facts["ms"] >= 0

    def test_htmx_swap_names_the_template_that_rendered(self):
        response = self.client.get(
            reverse("django_six_demos_csp:index"), headers={"HX-Request": "true"}
        )

        facts = json.loads(response["Demo-Inspection"])
        assert facts["template"] == "django_six_demos/csp/index.html"
        assert facts["view"] == "django_six_demos.csp.views.index"

    def test_other_views_are_left_alone(self):
        request = RequestFactory().get("/x/", headers={"HX-Request": "true"})

        response = DemoFrameMiddleware(lambda r: HttpResponse("<p>yours</p>"))(request)

        assert response.content == b"<p>yours</p>"
        assert "Demo-Inspection" not in response

    def test_pages_without_markers_and_non_html_are_left_alone(self):
        request = RequestFactory().get("/x/")

        assert through_frame_middleware(request, "<p>no markers</p>") == b"<p>no markers</p>"
        assert through_frame_middleware(request, "{}", "application/json") == b"{}"

    @override_settings(DEBUG=False)
    def test_counts_queries(self):
        request = RequestFactory().get("/")
        request.resolver_match = resolve(reverse("django_six_demos_index"))
        inspection = frame.inspect_response(
            request, HttpResponse("<p></p>"), body="<p></p>", queries=3, duration=0.0125
        )

        assert inspection.queries == 3
        assert inspection.duration_ms == 12.5
        assert inspection.view == "django_six_demos.views.index"
        assert inspection.template is None


def test_view_source_matches_inspect():
    source = frame.view_source(views.index)
    assert source is not None
    assert source.code == inspect.getsource(inspect.unwrap(views.index))
    assert csp_views.index.__module__ == "django_six_demos.csp.views"


class FrameSwitchTests(SimpleTestCase):
    @override_settings(DJANGO_SIX_DEMOS_FRAME=False)
    def test_switched_off_pages_carry_neither_panel(self):
        response = self.client.get(reverse("django_six_demos_csp:index"))

        assert response.status_code == 200
        assert 'id="demo-inspector"' not in response.text
        assert "source-panel" not in response.text
        assert "<!--demo-inspector-->" not in response.text
        assert "layout-no-frame" in response.text

    @override_settings(DJANGO_SIX_DEMOS_FRAME=False)
    def test_switched_off_htmx_swaps_carry_no_inspection_header(self):
        response = self.client.get(
            reverse("django_six_demos_csp:index"), headers={"HX-Request": "true"}
        )

        assert "Demo-Inspection" not in response
