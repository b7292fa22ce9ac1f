"""What both "backport to core" pages share: page checks, and the how-to that quotes each page."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from django.urls import reverse

from django_six_demos.demo import gated
from django_six_demos.settings_code import settings_diff
from tests.csp_utils import header_nonces, page_nonces
from tests.test_docs import directives, list_table_rows


def run_settings(code: str, **names: Any) -> dict[str, Any]:
    """Run generated settings code (only our own) in a namespace holding ``names``."""
    namespace = dict(names)
    exec(compile(code, "settings.py", "exec"), namespace)
    return namespace


def _rst(cell: str) -> str:
    """A table cell of the page as the how-to's list-table writes it."""
    text = re.sub(r"<code>(.*?)</code>", r"``\1``", cell.strip(), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def page_changes(page: str) -> list[tuple[str, str]]:
    """Return the before and after cells of the page's table of other changes."""
    table = page[page.index('<table class="headers-table migration-changes">') :]
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", table, re.S)
    return [(_rst(before), _rst(after)) for before, after in rows]


def howto_block(howto: Path, kind: str, name: str) -> Any:
    [block] = [d for d in directives(howto, kind) if d.options.get("name") == name]
    return block


class MigrationPageChecks:
    """Mixed into each page's ``TestCase``: what every migration page must do."""

    client: Any
    url: str
    room_url_name: str
    feature: str
    labels: tuple[str, str]
    on_core: bool
    howto: Path
    howto_table: str
    before: str
    after: str

    def get(self) -> str:
        """Return the page's <main>: the frame beside it shows this template's source."""
        response = self.client.get(self.url)
        assert response.status_code == 200
        self.response = response
        text: str = response.text
        return text[
            text.index('<main class="site-main" id="main" tabindex="-1">') : text.index("</main>")
        ]

    def column(self, page: str, column_id: str) -> str:
        match = re.search(rf'<li class="room" id="settings-{column_id}"(.*?)</li>', page, re.S)
        assert match, column_id
        return match.group(0)

    def test_served_under_the_strict_csp(self):
        self.get()
        text = self.response.text

        [nonce] = header_nonces(self.response)
        assert page_nonces(text) == {nonce}
        assert "style=" not in text
        assert not re.search(r"<[^>]*\son[a-z]+=", text)

    def test_get_only(self):
        assert self.client.post(self.url).status_code == 405

    def test_names_the_stack_serving_the_feature_here(self):
        page = self.get()

        source = gated("", self.feature)
        if source.is_core:
            assert f'<strong class="source-core">Django {source.version} (core)</strong>' in page
            assert "already past the migration" in page
        else:
            label = f"{source.provider} {source.version}"
            assert f'<strong class="source-package">{label}</strong>' in page

    def test_shows_both_settings_blocks_highlighted_and_their_diff(self):
        page = self.get()

        before, after = self.column(page, "before"), self.column(page, "after")
        assert self.labels[0] in before
        assert self.labels[1] in after
        for column in (before, after):
            assert '<div class="source-code">' in column
        shown = re.findall(r'<span class="(diff-[a-z]+)">(.*?)</span>', page)
        diff = settings_diff(self.before, self.after, self.labels)
        assert shown == [(line.css, html.escape(line.text)) for line in diff]

    def test_marks_you_are_here_on_the_running_stack(self):
        page = self.get()

        here, there = ("after", "before") if self.on_core else ("before", "after")
        assert page.count("You are here") == 1
        assert "You are here" in self.column(page, here)
        assert 'aria-current="location"' in self.column(page, here)
        assert 'aria-current="location"' not in self.column(page, there)

    def test_links_back_to_the_room_and_home(self):
        page = self.get()

        assert f'href="{reverse(self.room_url_name)}"' in page
        assert f'href="{reverse("django_six_demos_index")}"' in page

    def test_the_howto_lists_the_changes_of_the_page(self):
        header, *rows = list_table_rows(howto_block(self.howto, "list-table", self.howto_table))

        assert header[1:] == ["With Django 6.0 and later", "Why"]
        assert [(before, after) for before, after, _ in rows] == page_changes(self.get())
