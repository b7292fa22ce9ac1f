"""Screenshots of the example project's home page and every demo room, for the docs.

Starts the example project on a throwaway SQLite database (migrated and seeded),
opens each page in Debian's Chromium through Playwright at desktop (1,400 px) and
phone (390 px) width, and writes ``<room>-desktop.png`` and ``<room>-phone.png``
(the first screenful of each page) to ``docs/_static/screenshots/``.

Regenerate every image, from the repository root::

    .venv/bin/python scripts/screenshots.py

One room, elsewhere: ``scripts/screenshots.py --only partials --out shots``.
``CHROMIUM_PATH`` overrides ``/usr/bin/chromium``. The rooms are the installed
demos (``django_six_demos.demo.installed_demos()``) plus ``home``.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PROJECT = ROOT / "example_project"
MANAGE_PY = EXAMPLE_PROJECT / "manage.py"
SETTINGS = "example.settings.development"
OUT = ROOT / "docs" / "_static" / "screenshots"

# Debian's Chromium (Playwright cannot download its own here); the tests launch it the same way.
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # Stop Chromium from calling home on a closed network.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class Width:
    """A screen the pages are shot on: the viewport, which is also the image's size."""

    name: str
    width: int
    height: int
    mobile: bool


WIDTHS = (
    Width("desktop", 1400, 900, mobile=False),
    Width("phone", 390, 800, mobile=True),
)

HOME = "home"
SERVER_START_TIMEOUT = 60.0
# The environment variables that would move the example off its own SQLite file.
FOREIGN_SETTINGS = ("DATABASE_URL", "REDIS_URL", "EXAMPLE_QUEUE_DB", "DJANGO_SETTINGS_MODULE")


@dataclass(frozen=True)
class Room:
    """A page to shoot: ``home`` or a demo's slug, and its path on the example site."""

    name: str
    path: str


def file_names(room: str) -> list[str]:
    """Return the names of a room's images, one per width."""
    return [f"{room}-{width.name}.png" for width in WIDTHS]


def example_env(data_dir: Path) -> dict[str, str]:
    """Return the environment of an example project whose SQLite database lives in ``data_dir``."""
    env = {key: value for key, value in os.environ.items() if key not in FOREIGN_SETTINGS}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "EXAMPLE_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
    }


def discover_rooms(env: dict[str, str]) -> list[Room]:
    """Return the home page and every installed, available demo's index page, in home-page order.

    Sets Django up in this process, with the example project's settings and ``env``.
    """
    for key in FOREIGN_SETTINGS:
        os.environ.pop(key, None)
    os.environ.update(env)
    if str(EXAMPLE_PROJECT) not in sys.path:
        sys.path.insert(0, str(EXAMPLE_PROJECT))
    import django

    django.setup()
    from django.urls import reverse

    from django_six_demos.demo import installed_demos

    demos = sorted((d for d in installed_demos() if d.available), key=lambda d: d.order)
    return [
        Room(HOME, reverse("django_six_demos_index")),
        *(Room(demo.slug, reverse(demo.url_name)) for demo in demos),
    ]


def free_port() -> int:
    """Return a loopback port nothing listens on (the system's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_database() -> None:
    """Migrate and seed the example's database (Django is set up by ``discover_rooms()``)."""
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", interactive=False, verbosity=0)
    call_command("demos_seed", verbosity=0)
    # The server opens its own.
    connections.close_all()


@contextmanager
def example_site(env: dict[str, str], log: Path) -> Iterator[str]:
    """Serve the example project on a free loopback port; yield its URL."""
    port = free_port()
    with log.open("w", encoding="utf-8") as output:
        # No autoreloader (one process, no file polling) and no task worker:
        # the pages are shot as a first visitor sees them. The system checks
        # already ran, with migrate.
        server = subprocess.Popen(
            [
                sys.executable,
                str(MANAGE_PY),
                "runserver",
                "--noreload",
                "--skip-checks",
                f"127.0.0.1:{port}",
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(server, port, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def wait_for(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Return once the server accepts connections; fail with its log if it exits or hangs."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"The example server exited:\n{log.read_text(encoding='utf-8')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"The example server did not start:\n{log.read_text(encoding='utf-8')}")


# Run in a blank page (no CSP to allow data: images): decode the screenshot, then map
# each pixel to one of its 256 most frequent colours, or to the nearest of them.
# Pages are mostly flat colours, so the palette image looks the same at a third of the size.
TO_PALETTE = """
async (dataUrl) => {
  const image = new Image();
  image.src = dataUrl;
  await image.decode();
  const { width, height } = image;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const rgba = context.getImageData(0, 0, width, height).data;
  const counts = new Map();
  for (let i = 0; i < rgba.length; i += 4) {
    const key = (rgba[i] << 16) | (rgba[i + 1] << 8) | rgba[i + 2];
    counts.set(key, (counts.get(key) || 0) + 1);
  }
  const palette = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, 256)
    .map(([key]) => key);
  const index = new Map(palette.map((key, i) => [key, i]));
  const nearest = (key) => {
    const [r, g, b] = [key >> 16, (key >> 8) & 255, key & 255];
    let best = 0;
    let bestDistance = Infinity;
    palette.forEach((other, i) => {
      const dr = r - (other >> 16);
      const dg = g - ((other >> 8) & 255);
      const db = b - (other & 255);
      const distance = 2 * dr * dr + 4 * dg * dg + 3 * db * db;
      if (distance < bestDistance) [best, bestDistance] = [i, distance];
    });
    return best;
  };
  const indices = new Uint8Array(width * height);
  for (let p = 0; p < indices.length; p += 1) {
    const i = 4 * p;
    const key = (rgba[i] << 16) | (rgba[i + 1] << 8) | rgba[i + 2];
    let found = index.get(key);
    if (found === undefined) {
      found = nearest(key);
      index.set(key, found);
    }
    indices[p] = found;
  }
  let binary = "";
  for (let i = 0; i < indices.length; i += 0x8000) {
    binary += String.fromCharCode(...indices.subarray(i, i + 0x8000));
  }
  return { width, height, palette, indices: btoa(binary) };
}
"""


def chunk(kind: bytes, body: bytes) -> bytes:
    """Return one PNG chunk: length, type, data, CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def palette_png(width: int, height: int, palette: Sequence[int], indices: bytes) -> bytes:
    """Return an 8-bit palette PNG of ``indices`` (one byte per pixel, rows top to bottom)."""
    rows = b"".join(b"\x00" + indices[row * width : (row + 1) * width] for row in range(height))
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)),
            chunk(b"PLTE", b"".join(colour.to_bytes(3, "big") for colour in palette)),
            chunk(b"IDAT", zlib.compress(rows, 9)),
            chunk(b"IEND", b""),
        ]
    )


def smaller_png(scratch: Page, screenshot: bytes) -> bytes:
    """Return ``screenshot`` (Chromium's RGB PNG) as a palette PNG, decoded in ``scratch``."""
    data_url = "data:image/png;base64," + base64.b64encode(screenshot).decode("ascii")
    found = scratch.evaluate(TO_PALETTE, data_url)
    return palette_png(
        found["width"], found["height"], found["palette"], base64.b64decode(found["indices"])
    )


def shoot(base_url: str, rooms: Sequence[Room], out: Path) -> list[Path]:
    """Write each room's image at each width into ``out``; return the files written."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for width in WIDTHS:
                context = browser.new_context(
                    viewport={"width": width.width, "height": width.height},
                    device_scale_factor=1,
                    is_mobile=width.mobile,
                    has_touch=width.mobile,
                    color_scheme="light",
                    reduced_motion="reduce",
                )
                page = context.new_page()
                scratch = context.new_page()
                for room in rooms:
                    # networkidle: what htmx loads after the page (hx-trigger="load") is in.
                    page.goto(base_url + room.path, wait_until="networkidle")
                    image = page.screenshot(animations="disabled", caret="hide")
                    path = out / f"{room.name}-{width.name}.png"
                    path.write_bytes(smaller_png(scratch, image))
                    written.append(path)
                context.close()
        finally:
            browser.close()
    return written


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=OUT, help=f"Where to write (default: {OUT}).")
    parser.add_argument(
        "--only",
        action="append",
        metavar="ROOM",
        help="Shoot only this room ('home' or a demo's slug, e.g. 'partials'); repeatable.",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if not Path(CHROMIUM).is_file():
        raise SystemExit(f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' package.")
    with tempfile.TemporaryDirectory(prefix="demos-screenshots-") as temp:
        env = example_env(Path(temp))
        rooms = discover_rooms(env)
        if args.only:
            unknown = sorted(set(args.only) - {room.name for room in rooms})
            if unknown:
                names = ", ".join(room.name for room in rooms)
                raise SystemExit(f"No room named {', '.join(unknown)}; the rooms: {names}.")
            rooms = [room for room in rooms if room.name in args.only]
        prepare_database()
        with example_site(env, Path(temp) / "server.log") as base_url:
            written = shoot(base_url, rooms, args.out)
    for path in written:
        print(f"{path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
