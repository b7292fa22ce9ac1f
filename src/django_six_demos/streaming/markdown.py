"""A model's answer as HTML: Markdown rendered on the server, then sanitized.

Model output is untrusted text. markdown-it-py renders CommonMark with raw HTML switched off
(``<script>`` shows as text), then nh3 keeps only the tags and attributes listed here.
"""

from __future__ import annotations

from typing import Final

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

# What Markdown can produce and a chat answer needs; everything else is dropped, its text kept.
ALLOWED_TAGS: Final = frozenset(
    {
        "a",
        "blockquote",
        "br",
        "code",
        "em",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "ul",
    }
)
ALLOWED_ATTRIBUTES: Final = {"a": {"href"}, "ol": {"start"}}
URL_SCHEMES: Final = frozenset({"http", "https", "mailto"})
LINK_REL: Final = "noopener noreferrer nofollow"
# The page around an answer has its own h1 and h2: an answer's headings start at h3.
HEADING_SHIFT: Final = 2
# A model cannot know this site's URLs: a relative link is a guess at best, a lure at worst.
ABSOLUTE_LINK_PREFIXES: Final = ("http://", "https://", "mailto:")

_markdown = MarkdownIt("commonmark", {"html": False})


def _inline(children: list[Token]) -> list[Token]:
    """Images become their alt text (no request to a model's choice of server); relative
    links become plain text."""
    kept: list[Token] = []
    dropped_link = False
    for token in children:
        if token.type == "image":
            alt = "".join(
                part.content if part.type in {"text", "code_inline"} else " "
                for part in token.children or []
                if part.type in {"text", "code_inline", "softbreak", "hardbreak"}
            )
            kept.append(Token("text", "", 0, content=alt))
        elif token.type == "link_open" and not str(token.attrGet("href") or "").lower().startswith(
            ABSOLUTE_LINK_PREFIXES
        ):
            dropped_link = True
        elif token.type == "link_close" and dropped_link:
            dropped_link = False  # CommonMark links do not nest
        else:
            kept.append(token)
    return kept


def render_markdown(text: str) -> str:
    """Return ``text`` (Markdown) as sanitized HTML, safe to insert into a page.

    ``render_markdown("**Hi** <b>")`` gives ``"<p><strong>Hi</strong> &lt;b&gt;</p>\\n"``.
    """
    tokens = _markdown.parse(text)
    for token in tokens:
        if token.type in {"heading_open", "heading_close"}:
            level = min(6, int(token.tag[1]) + HEADING_SHIFT)
            token.tag = f"h{level}"
        elif token.children:
            token.children = _inline(token.children)
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        # "*": no attribute on every tag (nh3 would otherwise keep title and lang anywhere).
        attributes={"*": set(), **{tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()}},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )
