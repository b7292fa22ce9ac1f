"""Every room's screenshots (scripts/screenshots.py) are committed and shown by its chapter."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from django_six_demos.demo import installed_demos
from scripts.screenshots import HOME, OUT, WIDTHS, file_names

DOCS = Path(__file__).resolve().parent.parent / "docs"
START_CHAPTER = "tutorial/00-start"
# Twelve screenfuls of mostly flat colour: small enough to keep in the repository.
MAX_TOTAL_BYTES = 1_500_000

FIGURE = re.compile(
    r"^\.\. figure:: \.\./_static/screenshots/(?P<name>[\w-]+\.png)\n"
    r"(?P<options>(?:[ ]{3}:\w+:.*\n(?:[ ]{6}.*\n)*)*)",
    re.MULTILINE,
)
ALT = re.compile(r":alt:(?P<text>.*(?:\n[ ]{6}.*)*)")


def png_size(data: bytes) -> tuple[int, int]:
    """Return a PNG's width and height, read from its header."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def chapters() -> dict[str, str]:
    """Return {room: its chapter's name under docs/}: the home page's is chapter 0."""
    return {HOME: START_CHAPTER, **{demo.slug: demo.chapter for demo in installed_demos()}}


def figure_problems(chapter_text: str, room: str) -> list[str]:
    """Return what the chapter lacks: a figure of each of the room's images, with alt text,
    after the chapter's first literalinclude (its plain-Django opening, when it has one)."""
    figures = {match["name"]: match for match in FIGURE.finditer(chapter_text)}
    opening = chapter_text.find(".. literalinclude::")
    problems = []
    for name in file_names(room):
        figure = figures.get(name)
        if figure is None:
            problems.append(f"no figure of {name}")
            continue
        alt = ALT.search(figure["options"])
        if alt is None or not " ".join(alt["text"].split()):
            problems.append(f"the figure of {name} has no alt text")
        if room != HOME and figure.start() < opening:
            problems.append(f"the figure of {name} comes before the plain-Django opening")
    return problems


def test_every_installed_demo_and_the_home_page_have_a_chapter():
    # Guards the parametrised tests below against checking nothing.
    assert len(chapters()) == len(installed_demos()) + 1
    assert all(chapters().values())


@pytest.mark.parametrize("room", list(chapters()))
def test_the_rooms_screenshots_are_committed_at_each_width(room):
    for width, name in zip(WIDTHS, file_names(room), strict=True):
        path = OUT / name
        assert path.is_file(), f"{name} is missing: run scripts/screenshots.py"
        assert png_size(path.read_bytes()) == (width.width, width.height)


@pytest.mark.parametrize(("room", "chapter"), list(chapters().items()))
def test_the_rooms_chapter_shows_its_screenshots(room, chapter):
    text = (DOCS / f"{chapter}.rst").read_text(encoding="utf-8")

    assert figure_problems(text, room) == []


def test_the_screenshots_stay_small():
    total = sum(path.stat().st_size for path in OUT.glob("*.png"))
    assert total <= MAX_TOTAL_BYTES


def test_every_committed_screenshot_belongs_to_a_room():
    expected = {name for room in chapters() for name in file_names(room)}
    assert {path.name for path in OUT.glob("*.png")} == expected


# -- The check fails when it should ------------------------------------------------

OPENING = "Title\n=====\n\n.. literalinclude:: ../../tests/tutorial/demo/views.py\n\n"


def figure(name: str, alt: str = "The room: its title.") -> str:
    return f".. figure:: ../_static/screenshots/{name}\n   :alt: {alt}\n\n   Caption.\n\n"


def test_a_chapter_with_both_figures_passes():
    text = OPENING + figure("demo-desktop.png", "The room,\n      on two lines.")
    text += figure("demo-phone.png")

    assert figure_problems(text, "demo") == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (OPENING + figure("demo-desktop.png"), "no figure of demo-phone.png"),
        (
            OPENING + figure("demo-desktop.png", "") + figure("demo-phone.png"),
            "the figure of demo-desktop.png has no alt text",
        ),
        (
            "Title\n=====\n\n"
            + figure("demo-desktop.png")
            + ".. literalinclude:: ../../tests/tutorial/demo/views.py\n\n"
            + figure("demo-phone.png"),
            "the figure of demo-desktop.png comes before the plain-Django opening",
        ),
    ],
    ids=["missing", "no-alt", "before-the-opening"],
)
def test_a_missing_or_misplaced_figure_is_reported(text, problem):
    assert figure_problems(text, "demo") == [problem]
