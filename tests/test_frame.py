from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import os
import re
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.test import (
    AsyncRequestFactory,
    RequestFactory,
    SimpleTestCase,
    TestCase,
    override_settings,
)
from django.urls import path, resolve, reverse

from django_six_demos import frame, views
from django_six_demos.csp import views as csp_views
from django_six_demos.frame import inspector, source
from django_six_demos.frame.inspector import CspHeader
from django_six_demos.frame.middleware import DemoFrameMiddleware
from tests.csp_utils import header_nonces, parse_csp

PACKAGE = Path(views.__file__).parent
MARKED_PAGE = "<html><body><!--demo-inspector--><!--/demo-inspector--></body></html>"
TIME_SHOWN = re.compile(r"<dt>Time</dt>\s*<dd>(\d+\.\d) ms</dd>")


def through_frame_middleware(
    request: HttpRequest, content: str, content_type: str = "text/html"
) -> bytes:
    response = DemoFrameMiddleware(lambda r: HttpResponse(content, content_type=content_type))(
        request
    )
    assert isinstance(response, HttpResponse)
    return response.content


def framed(view: Any, request: HttpRequest) -> HttpResponseBase:
    """``request`` through the frame around a sync ``view``."""
    response = DemoFrameMiddleware(view)(request)
    assert isinstance(response, HttpResponseBase)
    return response


async def aframed(view: Any, request: HttpRequest) -> HttpResponseBase:
    """``request`` through the frame around an async ``view``, awaited as Django would."""
    middleware = DemoFrameMiddleware(view)
    # Django awaits it in the event loop: no thread between the server and the view.
    assert iscoroutinefunction(middleware)
    response = middleware(request)
    assert inspect.isawaitable(response)
    result = await response
    assert isinstance(result, HttpResponseBase)
    return result


def htmx_request_to_a_demo_view(
    factory: RequestFactory | AsyncRequestFactory | None = None,
) -> HttpRequest:
    request = (factory or RequestFactory()).get(
        "/demos/", {"q": "1"}, headers={"HX-Request": "true", "HX-Target": "rows"}
    )
    request.resolver_match = resolve(reverse("django_six_demos_index"))
    return request


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
        before = source._highlighted.cache_info().misses
        first = frame.highlight(code, "python")
        # Equal text read again (another string object) is a hit.
        second = frame.highlight("".join(["answer = 42", "  # highlighted once\n"]), "python")

        assert second == first
        assert source._highlighted.cache_info().misses == before + 1

    def test_another_text_or_language_is_highlighted_anew(self):
        python = frame.highlight("{% if x %}\n", "python")
        django = frame.highlight("{% if x %}\n", "django")
        edited = frame.highlight("{% if y %}\n", "django")

        assert len({python, django, edited}) == 3
        assert '<span class="cp">{%</span>' in django

    def test_the_cache_is_bounded(self):
        for number in range(source.HIGHLIGHT_CACHE_SIZE + 10):
            frame.highlight(f"value = {number}\n", "python")

        info = source._highlighted.cache_info()
        assert info.maxsize == source.HIGHLIGHT_CACHE_SIZE
        assert info.currsize == source.HIGHLIGHT_CACHE_SIZE

    def test_the_source_caches_are_bounded(self):
        assert source._view_source.cache_info().maxsize == source.SOURCE_CACHE_SIZE
        assert source.display_path.cache_info().maxsize == source.SOURCE_CACHE_SIZE
        assert source.partial_source.cache_info().maxsize == source.SOURCE_CACHE_SIZE


class PartialSourceTests(SimpleTestCase):
    template = (
        "<h1>Talks</h1>\n"
        "{% partialdef results inline %}<ul>{% partialdef row %}<li>x</li>{% endpartialdef %}"
        "</ul>{% endpartialdef results %}\n"
        "{% partialdef footer %}<p>end</p>{% endpartialdef %}"
    )

    def test_extracts_a_partial_with_nested_partials(self):
        assert source.partial_source(self.template, "results") == (
            "{% partialdef results inline %}<ul>{% partialdef row %}<li>x</li>{% endpartialdef %}"
            "</ul>{% endpartialdef results %}"
        )

    def test_extracts_the_nested_partial(self):
        assert source.partial_source(self.template, "row") == (
            "{% partialdef row %}<li>x</li>{% endpartialdef %}"
        )

    def test_unknown_partial_is_none(self):
        assert source.partial_source(self.template, "missing") is None


class NonceVerdictTests(SimpleTestCase):
    def test_policies_come_from_the_shared_parser(self):
        response = HttpResponse()
        response["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'nonce-abc' 'strict-dynamic';;"
        )
        request = RequestFactory().get("/")

        inspection = inspector.inspect_response(
            request, response, body='<script nonce="abc"></script>', queries=0, duration=0
        )

        [policy] = inspection.policies
        assert policy.directives == {
            "default-src": ["'none'"],
            "script-src": ["'nonce-abc'", "'strict-dynamic'"],
        }
        assert policy.nonce == "abc"
        assert inspection.nonce_verdict == "Matches: 1 element carries the header's nonce."

    def test_nonce_verdicts(self):
        policy = CspHeader("Content-Security-Policy", {}, "abc")
        no_nonce = CspHeader("Content-Security-Policy", {}, None)
        other = CspHeader("Content-Security-Policy-Report-Only", {}, "xyz")

        assert inspector.nonce_verdict([policy], ["abc", "abc"]) == (
            "Matches: 2 elements carry the header's nonce.",
            True,
        )
        assert inspector.nonce_verdict([policy], ["abc", "zzz"])[1] is False
        assert inspector.nonce_verdict([policy, other], ["abc"])[1] is False
        assert inspector.nonce_verdict([no_nonce], [])[1] is True
        assert inspector.nonce_verdict([no_nonce], ["abc"])[1] is False
        assert inspector.nonce_verdict([], []) == ("No CSP header on this response.", False)


class PageNonceTests(SimpleTestCase):
    def test_finds_nonce_attributes_in_order(self):
        body = '<script nonce="a"></script>\n<style\tnonce=\'b\'></style><link\nnonce="">'

        assert inspector.page_nonces(body) == ["a", "b", ""]

    def test_ignores_what_is_not_a_nonce_attribute(self):
        body = '<div data-nonce="x"></div>nonce="y" <p>nonce=z</p><code>nonce=&quot;w&quot;</code>'

        assert inspector.page_nonces(body) == []

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
            assert inspector.page_nonces(body) == pattern.findall(body), body


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
        request = htmx_request_to_a_demo_view()

        response = DemoFrameMiddleware(lambda r: HttpResponse("<ul id=rows></ul>"))(request)

        assert isinstance(response, HttpResponse)
        # Byte for byte what the view returned: the partials demo compares it.
        assert response.content == b"<ul id=rows></ul>"
        inspection = json.loads(response["Demo-Inspection"])
        assert inspection["view"] == "django_six_demos.views.index"
        assert inspection["template"] is None
        assert inspection["queries"] == 0
        assert (inspection["method"], inspection["path"], inspection["is_htmx"]) == (
            "GET",
            "/demos/?q=1",
            True,
        )
        assert inspection["request_htmx_headers"] == [["Hx-Request", "true"], ["Hx-Target", "rows"]]
        # The browser lists the headers itself: the inspection does not repeat them.
        assert "response_headers" not in inspection

    def test_htmx_swap_carries_the_computed_csp_and_nonce_verdict(self):
        response = self.client.get(
            reverse("django_six_demos_csp:index"), headers={"HX-Request": "true"}
        )

        inspection = json.loads(response["Demo-Inspection"])
        assert inspection["template"] == "django_six_demos/csp/index.html"
        assert inspection["view"] == "django_six_demos.csp.views.index"
        [enforced, *_] = inspection["policies"]
        assert enforced["name"] == "Content-Security-Policy"
        assert enforced["directives"] == parse_csp(response["Content-Security-Policy"])
        [nonce] = header_nonces(response)
        assert enforced["nonce"] == nonce
        scripts = response.text.count(f'nonce="{nonce}"')
        assert scripts >= 1
        noun = "element carries" if scripts == 1 else "elements carry"
        assert inspection["nonce_verdict"] == f"Matches: {scripts} {noun} the header's nonce."
        assert inspection["nonce_ok"] is True

    def test_htmx_swap_with_a_foreign_nonce_gets_the_mismatch_verdict(self):
        def view(request):
            response = HttpResponse('<script nonce="forged"></script>')
            response["Content-Security-Policy"] = "script-src 'nonce-real'"
            return response

        response = framed(view, htmx_request_to_a_demo_view())

        inspection = json.loads(response["Demo-Inspection"])
        assert inspection["nonce_verdict"] == (
            "Mismatch: an element carries a nonce the header does not allow."
        )
        assert inspection["nonce_ok"] is False

    def test_the_time_shown_is_the_time_the_response_took(self):
        page = RequestFactory().get("/x/")
        clock = "django_six_demos.frame.middleware.perf_counter"
        with mock.patch(clock, side_effect=[100.0, 100.0125]):
            shown = TIME_SHOWN.findall(through_frame_middleware(page, MARKED_PAGE).decode())
        with mock.patch(clock, side_effect=[100.0, 100.0125]):
            swap = framed(lambda r: HttpResponse("<p></p>"), htmx_request_to_a_demo_view())

        assert shown == ["12.5"]
        assert json.loads(swap["Demo-Inspection"])["duration_ms"] == 12.5

    def test_a_slow_view_shows_a_larger_time(self):
        def slow(request):
            time.sleep(0.05)
            return HttpResponse(MARKED_PAGE)

        request = RequestFactory().get("/x/")
        fast_page = through_frame_middleware(request, MARKED_PAGE).decode()
        slow_response = DemoFrameMiddleware(slow)(request)
        assert isinstance(slow_response, HttpResponse)
        slow_page = slow_response.content.decode()

        [fast] = TIME_SHOWN.findall(fast_page)
        [slow_time] = TIME_SHOWN.findall(slow_page)
        assert float(slow_time) >= 50.0 > float(fast)

    def test_other_views_are_left_alone(self):
        request = RequestFactory().get("/x/", headers={"HX-Request": "true"})

        response = DemoFrameMiddleware(lambda r: HttpResponse("<p>yours</p>"))(request)

        assert isinstance(response, HttpResponse)
        assert response.content == b"<p>yours</p>"
        assert "Demo-Inspection" not in response

    def test_pages_without_markers_and_non_html_are_left_alone(self):
        request = RequestFactory().get("/x/")

        assert through_frame_middleware(request, "<p>no markers</p>") == b"<p>no markers</p>"
        assert through_frame_middleware(request, "{}", "application/json") == b"{}"


class QueryCountTests(TestCase):
    def test_the_queries_shown_are_the_queries_the_view_ran(self):
        def view(request):
            for _ in range(3):
                User.objects.count()
            return HttpResponse(MARKED_PAGE)

        response = DemoFrameMiddleware(view)(RequestFactory().get("/x/"))
        assert isinstance(response, HttpResponse)
        page = response.content.decode()
        swap = framed(view, htmx_request_to_a_demo_view())

        assert '<dd class="query-count">3</dd>' in page
        assert json.loads(swap["Demo-Inspection"])["queries"] == 3


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


# -- Under ASGI -----------------------------------------------------------------------


async def async_page(request: HttpRequest) -> HttpResponse:
    for _ in range(3):
        await User.objects.acount()
    return HttpResponse(MARKED_PAGE)


urlpatterns = [path("async-page/", async_page)]


class AsyncFrameTests(SimpleTestCase):
    async def test_under_asgi_the_frame_is_awaited_and_fills_the_inspector(self):
        async def view(request):
            return HttpResponse(MARKED_PAGE)

        response = await aframed(view, AsyncRequestFactory().get("/x/"))

        assert isinstance(response, HttpResponse)
        assert '<dd class="status status-2xx">200 OK</dd>' in response.content.decode()
        assert "<!--demo-inspector-->" not in response.content.decode()

    async def test_an_async_htmx_swap_is_untouched_and_described_in_a_header(self):
        async def view(request):
            return HttpResponse("<ul id=rows></ul>")

        request = htmx_request_to_a_demo_view(AsyncRequestFactory())
        response = await aframed(view, request)

        assert isinstance(response, HttpResponse)
        assert response.content == b"<ul id=rows></ul>"
        assert json.loads(response["Demo-Inspection"])["view"] == "django_six_demos.views.index"

    async def test_a_stream_passes_through_unread(self):
        started: list[bool] = []

        async def events():
            started.append(True)
            yield "<!--demo-inspector-->"
            yield "<!--/demo-inspector-->"

        async def view(request):
            return StreamingHttpResponse(events(), content_type="text/html")

        for request in (
            AsyncRequestFactory().get("/x/"),
            htmx_request_to_a_demo_view(AsyncRequestFactory()),
        ):
            started.clear()
            response = await aframed(view, request)

            assert isinstance(response, StreamingHttpResponse)
            assert response.is_async
            assert started == []  # nothing read it
            chunks = [chunk async for chunk in response]
            assert chunks == [b"<!--demo-inspector-->", b"<!--/demo-inspector-->"]

    def test_a_sync_stream_passes_through_unread(self):
        started: list[bool] = []

        def events():
            started.append(True)
            yield MARKED_PAGE

        response = framed(
            lambda r: StreamingHttpResponse(events(), content_type="text/html"),
            RequestFactory().get("/x/"),
        )

        assert isinstance(response, StreamingHttpResponse)
        assert started == []
        assert b"".join(response) == MARKED_PAGE.encode()


@override_settings(ROOT_URLCONF=__name__)
class AsyncQueryCountTests(TestCase):
    async def test_an_async_views_queries_are_counted(self):
        # The async ORM runs each query in asgiref's thread, not the frame's.
        response = await self.async_client.get("/async-page/")

        assert '<dd class="query-count">3</dd>' in response.content.decode()
