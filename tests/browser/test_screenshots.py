"""The docs' screenshot script still runs: one room, shot at each width, into a temporary directory."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from django_six_demos.demo import installed_demos
from scripts.screenshots import WIDTHS, file_names
from tests.test_screenshots_docs import png_size

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "screenshots.py"

# Decoded by the browser itself: the image's size and how many colours it has.
MEASURE = """
async (dataUrl) => {
  const image = new Image();
  image.src = dataUrl;
  await image.decode();
  const canvas = new OffscreenCanvas(image.width, image.height);
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const rgba = context.getImageData(0, 0, image.width, image.height).data;
  const colours = new Set();
  for (let i = 0; i < rgba.length; i += 4) {
    colours.add((rgba[i] << 16) | (rgba[i + 1] << 8) | rgba[i + 2]);
  }
  return { width: image.width, height: image.height, colours: colours.size };
}
"""
# Text, links and borders on a background: far more than a blank or one-colour page.
MIN_COLOURS = 16


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    # The script sets up the example project's settings itself, not the tests'.
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-W", "error", str(SCRIPT), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def room() -> str:
    """The first installed demo: shooting one room keeps the test short."""
    return installed_demos()[0].slug


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory, room: str) -> Path:
    out = tmp_path_factory.mktemp("screenshots")
    done = run_script("--only", room, "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_the_script_writes_the_rooms_images_and_nothing_else(shots, room):
    assert sorted(path.name for path in shots.iterdir()) == sorted(file_names(room))


@pytest.mark.parametrize("width", WIDTHS, ids=lambda width: width.name)
def test_each_image_has_its_width_and_shows_a_page(shots, room, page, width):
    data = (shots / f"{room}-{width.name}.png").read_bytes()
    assert png_size(data) == (width.width, width.height)

    url = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    measured = page.evaluate(MEASURE, url)

    assert (measured["width"], measured["height"]) == (width.width, width.height)
    assert measured["colours"] >= MIN_COLOURS


def test_an_unknown_room_is_refused_by_name(room):
    done = run_script("--only", "nowhere", "--out", os.devnull)

    assert done.returncode != 0
    assert "No room named nowhere" in done.stderr
    assert room in done.stderr  # the rooms there are
