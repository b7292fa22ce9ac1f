"""Sphinx configuration for the django-six-demos documentation.

Build: ``uvx --with tox-uv tox -e docs`` (``sphinx-build -W -b html docs docs/_build/html``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import django
import tomllib
from sphinx.pycode import ModuleAnalyzer

ROOT = Path(__file__).resolve().parent.parent

# -- Project -------------------------------------------------------------------

_metadata = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

project = _metadata["name"]
author = _metadata["authors"][0]["name"]
copyright = f"2026, {author}"
release = _metadata["version"]
version = ".".join(release.split(".")[:2])

# -- Django, for autodoc -------------------------------------------------------

# autodoc imports django_six_demos.conf and .compat, which need Django set up:
# with the test settings, built with the same helpers the docs describe.
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

# -- General -------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx_copybutton",
]

exclude_patterns = ["_build"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_preserve_defaults = True

# -- Intersphinx: links to Django's docs, without making the build need them ---
#
# CI builds offline, with -W. Sphinx fetches each inventory when the build
# starts, and when every location of an inventory fails it logs a warning that
# -W turns into an error. But it tries an inventory's locations in order and
# only logs (info) that the first failed when a later one works. So by default
# the Django inventory has two locations: Django's own, then an empty stand-in
# written into the build's doctree directory (see setup() below; no copy of
# Django's inventory is committed, so nothing goes stale). Online, Django's
# inventory wins and :setting:, :ttag:, :djadmin: and :py: references link to
# docs.djangoproject.com; offline, the stand-in wins and they render as plain
# code. Only roles that stay silent when unresolved are used for Django
# targets (never :ref: or :doc:, which would warn offline).
#
# DOCS_INTERSPHINX overrides the default:
#   1  require Django's inventory (no stand-in): a publishing build, where
#      missing links must fail the build;
#   0  never fetch, e.g. on a network that drops packets instead of refusing.
DJANGO_DOCS = "https://docs.djangoproject.com/en/stable/"
DJANGO_INVENTORY = "https://docs.djangoproject.com/en/stable/_objects/"
DOCS_INTERSPHINX = os.environ.get("DOCS_INTERSPHINX", "")
if DOCS_INTERSPHINX not in ("", "0", "1"):
    raise ValueError(f"DOCS_INTERSPHINX must be unset, 0 or 1, not {DOCS_INTERSPHINX!r}.")

intersphinx_mapping: dict[str, Any] = {}
if DOCS_INTERSPHINX == "1":
    intersphinx_mapping["django"] = (DJANGO_DOCS, DJANGO_INVENTORY)
# The default mapping needs the doctree directory: see setup().

# Fail fast on a network that hangs; refetch on every build, so an offline
# build's empty stand-in is never cached in place of Django's inventory.
intersphinx_timeout = 10
intersphinx_cache_limit = 0

# An inventory (format 1: plain text) that lists nothing.
_EMPTY_INVENTORY = (
    "# Sphinx inventory version 1\n# Project: Django (offline stand-in)\n# Version: -\n"
)


def _map_django_inventory_with_stand_in(app: Any) -> None:
    stand_in = Path(app.doctreedir) / "django-offline-objects.inv"
    stand_in.parent.mkdir(parents=True, exist_ok=True)
    stand_in.write_text(_EMPTY_INVENTORY, encoding="utf-8")
    app.config.intersphinx_mapping = {
        "django": (DJANGO_DOCS, (DJANGO_INVENTORY, str(stand_in))),
    }


# -- HTML ----------------------------------------------------------------------

html_theme = "furo"
html_title = f"{project} {release}"

# sphinx-copybutton: copy commands without their "$ " prompt, and skip output.
copybutton_prompt_text = r"\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True

# -- Autodoc and Django's cross-reference roles --------------------------------


def _drop_borrowed_docstrings(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    # A module constant has no docstring of its own: unless a "#:" comment
    # documents it, autodoc shows its type's ("str(object='') -> str ...").
    # The reference pages describe each constant themselves.
    if what != "data":
        return
    module, _, attribute = name.rpartition(".")
    if ("", attribute) not in ModuleAnalyzer.for_module(module).find_attr_docs():
        lines.clear()


def setup(app: Any) -> None:
    app.connect("autodoc-process-docstring", _drop_borrowed_docstrings)

    # The object types Django's docs define, so :setting:`TASKS` and friends
    # resolve against its inventory (std:setting, std:templatetag, ...).
    app.add_crossref_type("setting", "setting", indextemplate="pair: %s; setting")
    app.add_crossref_type("templatetag", "ttag", indextemplate="pair: %s; template tag")
    app.add_crossref_type("templatefilter", "tfilter", indextemplate="pair: %s; template filter")
    app.add_crossref_type("django-admin", "djadmin", indextemplate="pair: %s; django-admin command")

    # Before the config-inited event, when intersphinx reads the mapping.
    if DOCS_INTERSPHINX == "":
        _map_django_inventory_with_stand_in(app)
