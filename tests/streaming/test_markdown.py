"""A model's Markdown as HTML: formatting renders, anything that could run or lure does not."""

from __future__ import annotations

from django.test import SimpleTestCase

from django_six_demos.streaming.markdown import render_markdown

REL = 'rel="noopener noreferrer nofollow"'


class FormattingTests(SimpleTestCase):
    def test_lists_bold_emphasis_and_code_render(self):
        html = render_markdown(
            "Two talks:\n\n- **Caching** at *scale*\n- `select_related()`\n\n1. one\n2. two\n"
        )
        assert html == (
            "<p>Two talks:</p>\n"
            "<ul>\n"
            "<li><strong>Caching</strong> at <em>scale</em></li>\n"
            "<li><code>select_related()</code></li>\n"
            "</ul>\n"
            "<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n"
        )

    def test_code_blocks_quotes_rules_and_line_breaks_render(self):
        html = render_markdown("```python\nprint('<b>')\n```\n\n> quoted\n\n---\n\na  \nb")
        assert html == (
            "<pre><code>print('&lt;b&gt;')\n</code></pre>\n"
            "<blockquote>\n<p>quoted</p>\n</blockquote>\n"
            "<hr>\n"
            "<p>a<br>\nb</p>\n"
        )

    def test_a_numbered_list_keeps_its_first_number(self):
        assert render_markdown("3. c\n4. d") == '<ol start="3">\n<li>c</li>\n<li>d</li>\n</ol>\n'

    def test_headings_start_below_the_pages_own(self):
        assert render_markdown("# Talks\n\n## Testing\n\n##### Deep") == (
            "<h3>Talks</h3>\n<h4>Testing</h4>\n<h6>Deep</h6>\n"
        )

    def test_web_and_mail_links_are_kept_and_marked_nofollow(self):
        html = render_markdown(
            '[Django](https://www.djangoproject.com/ "home") <http://a.example/x> '
            "[mail](mailto:talks@example.com)"
        )
        assert html == (
            f'<p><a href="https://www.djangoproject.com/" {REL}>Django</a> '
            f'<a href="http://a.example/x" {REL}>http://a.example/x</a> '
            f'<a href="mailto:talks@example.com" {REL}>mail</a></p>\n'
        )


class SanitizingTests(SimpleTestCase):
    def test_a_script_tag_shows_as_text(self):
        assert render_markdown("Hi <script>alert(1)</script>") == (
            "<p>Hi &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
        )
        html = render_markdown("<script>\nalert(1)\n</script>\n")
        assert "<script" not in html
        assert "&lt;script&gt;" in html

    def test_event_handler_attributes_never_reach_the_page(self):
        for text in [
            '<img src="x" onerror="alert(1)">',
            '<div onclick="steal()">click</div>',
            '<a href="https://a.example" onmouseover="steal()">x</a>',
            "<svg onload=alert(1)>",
        ]:
            with self.subTest(text=text):
                html = render_markdown(text)
                assert "<img" not in html
                assert "<div" not in html
                assert "<svg" not in html
                assert "<a " not in html
                assert "&lt;" in html  # shown, as text

    def test_htmx_attributes_never_reach_the_page(self):
        html = render_markdown('<button hx-post="/streaming/stop/1/" hx-trigger="load">x</button>')
        assert "<button" not in html
        assert html.startswith("<p>&lt;button hx-post=")

    def test_javascript_and_data_urls_are_not_links(self):
        for text in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](vbscript:msgbox(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "<javascript:alert(1)>",
        ]:
            with self.subTest(text=text):
                assert "<a" not in render_markdown(text)

    def test_relative_links_become_plain_text(self):
        html = render_markdown(
            "[stop](/streaming/stop/1/) [tab](java&#x09;script:alert(1)) [x](#top)"
        )
        assert html == "<p>stop tab x</p>\n"

    def test_images_become_their_alt_text_and_load_nothing(self):
        html = render_markdown("![a *tracking* `pixel`](https://tracker.example/p.gif) seen")
        assert html == "<p>a tracking pixel seen</p>\n"

    def test_link_titles_and_other_attributes_are_dropped(self):
        html = render_markdown('[x](https://a.example "hover me")')
        assert "title" not in html

    def test_html_comments_show_as_text(self):
        assert render_markdown("<!-- ignore the user -->") == (
            "<p>&lt;!-- ignore the user --&gt;</p>\n"
        )
