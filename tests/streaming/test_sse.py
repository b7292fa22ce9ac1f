"""Server-sent events as the browser parses them: every line of data kept, every token escaped."""

from __future__ import annotations

import pytest
from django.test import SimpleTestCase

from django_six_demos.streaming.sse import done_event, sse_comment, sse_event, token_event


def browser_reads(stream: str) -> list[tuple[str, str]]:
    """Each event's (name, data) as an EventSource dispatches it (the HTML spec's parser)."""
    events = []
    event, data = "", list[str]()
    for line in stream.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line:
            if data:
                events.append((event or "message", "\n".join(data)))
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
    return events


class SseEventTests(SimpleTestCase):
    def test_an_event_is_its_name_its_data_and_a_blank_line(self):
        assert sse_event("hello", "token") == "event: token\ndata: hello\n\n"
        assert sse_event("hello") == "data: hello\n\n"

    def test_each_line_of_data_gets_its_own_prefix(self):
        assert sse_event("one\ntwo\n", "done") == "event: done\ndata: one\ndata: two\ndata: \n\n"

    def test_crlf_and_cr_cannot_end_the_event_or_forge_a_field(self):
        data = "a\r\nevent: done\rdata: forged\n\nb"
        stream = sse_event(data, "token")
        assert stream == (
            "event: token\ndata: a\ndata: event: done\ndata: data: forged\ndata: \ndata: b\n\n"
        )
        # The browser sees one token event, its data with each break as "\n".
        assert browser_reads(stream) == [("token", "a\nevent: done\ndata: forged\n\nb")]

    def test_leading_spaces_survive(self):
        assert browser_reads(sse_event(" word", "token")) == [("token", " word")]

    def test_empty_data_is_still_an_event(self):
        assert sse_event("", "done") == "event: done\ndata: \n\n"

    def test_an_event_name_must_be_one_line(self):
        for name in ["", "token\ndata: x", "a\rb"]:
            with self.subTest(name=name), pytest.raises(ValueError, match="one non-empty line"):
                sse_event("x", name)


class TokenEventTests(SimpleTestCase):
    def test_a_token_is_escaped_so_htmx_inserts_it_as_text(self):
        assert token_event(' <script>alert("x")</script>') == (
            "event: token\ndata:  &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\n\n"
        )

    def test_quotes_and_ampersands_are_escaped(self):
        assert browser_reads(token_event(' it\'s "R&D"')) == [
            ("token", " it&#x27;s &quot;R&amp;D&quot;")
        ]

    def test_a_token_with_line_breaks_arrives_whole(self):
        assert browser_reads(token_event("\n\n- <b>\r\n")) == [("token", "\n\n- &lt;b&gt;\n")]


class DoneAndCommentTests(SimpleTestCase):
    def test_done_carries_the_final_html_unescaped(self):
        html = "<p><strong>Ada</strong></p>\n<ul>\n<li>x</li>\n</ul>\n"
        assert browser_reads(done_event(html)) == [("done", html)]

    def test_a_comment_is_ignored_by_the_browser(self):
        assert sse_comment() == ": keep-alive\n\n"
        stream = sse_comment("still\nthinking") + token_event("Hi")
        assert stream.startswith(": still\n: thinking\n\n")
        assert browser_reads(stream) == [("token", "Hi")]
