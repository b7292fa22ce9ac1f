"""The migration how-to from django-template-partials to core: settings, page, claims."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.template import Context, Engine, TemplateSyntaxError
from django.test import SimpleTestCase, TestCase
from django.urls import reverse

from django_six_demos import compat, conf
from django_six_demos.partials import migration
from django_six_demos.settings_code import settings_diff
from tests.migration_pages import MigrationPageChecks, howto_block, run_settings
from tests.test_docs import DOCS

HOWTO = DOCS / "howto" / "migrate-template-partials.rst"

CACHED = (
    "django.template.loaders.cached.Loader",
    [
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ],
)

only_on_core = pytest.mark.skipif(
    not compat.HAS_BUILTIN_PARTIALS, reason="Django 6.0+: core partials"
)
only_on_backport = pytest.mark.skipif(
    compat.HAS_BUILTIN_PARTIALS, reason="Django 5.2: django-template-partials"
)


# -- compat.partials_settings ----------------------------------------------------


def test_partials_settings_for_core():
    assert compat.partials_settings(core=True) == {
        "INSTALLED_APPS": [],
        "loaders": [CACHED],
        "builtins": [],
    }


def test_partials_settings_for_the_backport():
    assert compat.partials_settings(core=False) == {
        "INSTALLED_APPS": ["template_partials.apps.SimpleAppConfig"],
        "loaders": [("template_partials.loader.Loader", [CACHED])],
        "builtins": ["template_partials.templatetags.partials"],
    }


def test_partials_settings_name_the_backport_as_backports_does():
    [backport] = [b for b in compat.BACKPORTS if b.module == "template_partials"]

    assert compat.partials_settings(core=False)["INSTALLED_APPS"] == [backport.app]
    assert compat.partials_settings(core=False)["loaders"][0][0] == compat.PARTIALS_LOADER
    assert compat.partials_settings(core=False)["builtins"] == [compat.PARTIALS_BUILTIN]


@pytest.mark.parametrize("core", [True, False])
def test_partials_settings_returns_fresh_values(core):
    first = compat.partials_settings(core=core)
    first["INSTALLED_APPS"].append("x")
    first["builtins"].append("x")
    first["loaders"].append("x")

    assert compat.partials_settings(core=core) == compat.partials_settings(core=core)
    assert "x" not in compat.partials_settings(core=core)["loaders"]


# -- partials_settings() without core= follows the running line ------------------


def test_loaders_and_builtins_are_what_conf_templates_sets():
    [backend] = conf.templates()
    options = backend["OPTIONS"]

    assert options["loaders"] == compat.partials_settings()["loaders"]
    assert options["builtins"] == compat.partials_settings()["builtins"]


def test_loaders_and_builtins_come_from_partials_settings_for_this_line():
    # The test environments have the backports on Django 5.2.
    expected = compat.partials_settings(core=compat.HAS_BUILTIN_PARTIALS)

    assert compat.partials_settings()["loaders"] == expected["loaders"]
    assert compat.partials_settings()["builtins"] == expected["builtins"]


@only_on_core
def test_core_never_wires_the_backport_even_if_importable():
    with mock.patch.object(compat, "_importable", return_value=True):
        assert compat.partials_settings()["loaders"] == [CACHED]
        assert compat.partials_settings()["builtins"] == []


@only_on_backport
def test_backport_is_wired_when_importable():
    assert compat.partials_settings()["loaders"] == [("template_partials.loader.Loader", [CACHED])]
    assert compat.partials_settings()["builtins"] == ["template_partials.templatetags.partials"]


@only_on_backport
def test_backport_is_left_out_when_not_importable():
    # A missing package must reach django_six_demos.E001, not break the engine.
    with mock.patch.object(compat, "_importable", return_value=False):
        assert compat.partials_settings()["loaders"] == [CACHED]
        assert compat.partials_settings()["builtins"] == []


# -- The settings as Python source -----------------------------------------------


@pytest.mark.parametrize("core", [True, False])
def test_settings_code_is_python_holding_partials_settings(core):
    settings = run_settings(migration.settings_code(core=core))
    pieces = compat.partials_settings(core=core)

    assert settings["INSTALLED_APPS"] == [..., *pieces["INSTALLED_APPS"]]
    [backend] = settings["TEMPLATES"]
    assert "APP_DIRS" not in backend
    assert backend["OPTIONS"] == {"loaders": pieces["loaders"], "builtins": pieces["builtins"]}


def test_diff_removes_the_app_the_loader_and_the_builtin():
    lines = settings_diff(
        migration.settings_code(core=False), migration.settings_code(core=True), migration.LABELS
    )

    removed = {line.text for line in lines if line.css == "diff-del"}
    added = {line.text for line in lines if line.css == "diff-add"}
    assert '-INSTALLED_APPS = [..., "template_partials.apps.SimpleAppConfig"]' in removed
    assert "+INSTALLED_APPS = [...]" in added
    assert '-                    "template_partials.loader.Loader",' in removed
    assert '-            "builtins": ["template_partials.templatetags.partials"],' in removed
    assert '+            "builtins": [],' in added
    assert not any("template_partials" in text for text in added)
    assert [line.css for line in lines[:3]] == ["diff-file", "diff-file", "diff-hunk"]


# -- The page ----------------------------------------------------------------------


class MigratePageTests(MigrationPageChecks, TestCase):
    url = reverse("django_six_demos_partials:migrate")
    room_url_name = "django_six_demos_partials:index"
    feature = "partials"
    labels = migration.LABELS
    on_core = compat.HAS_BUILTIN_PARTIALS
    howto = HOWTO
    howto_table = "template-changes"
    before = migration.settings_code(core=False)
    after = migration.settings_code(core=True)

    def test_columns_hold_each_stacks_settings(self):
        page = self.get()

        before, after = self.column(page, "before"), self.column(page, "after")
        for column in (before, after):
            assert "django.template.loaders.cached.Loader" in column
        assert "template_partials.loader.Loader" in before
        assert "template_partials.apps.SimpleAppConfig" in before
        assert "template_partials" not in after

    def test_lists_the_template_changes(self):
        page = self.get()

        assert "<td><code>{% load partials %}</code></td>\n" in page
        assert "<em>Remove it</em>" in page
        assert "<code>{% partialdef name %}…{% endpartialdef %}</code>" in page
        assert '<code>"page.html#name"</code>' in page
        assert "django_six_demos.W003" in page


# -- The template changes are true on this line --------------------------------------


def engine(templates: dict[str, str] | None = None) -> Engine:
    """A Django engine set up for partials as this line's settings do."""
    pieces = compat.partials_settings(core=compat.HAS_BUILTIN_PARTIALS)
    locmem = ("django.template.loaders.locmem.Loader", templates or {})
    loaders: list[Any] = [locmem]
    if not compat.HAS_BUILTIN_PARTIALS:
        loaders = [(compat.PARTIALS_LOADER, [locmem])]
    return Engine(loaders=loaders, builtins=pieces["builtins"])


def render(source: str) -> str:
    return engine().from_string(source).render(Context())


class UnchangedTests(SimpleTestCase):
    def test_partial_and_hash_addressing_work_alike(self):
        page = "{% partialdef row %}<li>{{ x }}</li>{% endpartialdef %}<ul>{% partial row %}</ul>"
        templates = engine({"page.html": page})

        assert (
            templates.get_template("page.html").render(Context({"x": 1})) == "<ul><li>1</li></ul>"
        )
        assert templates.get_template("page.html#row").render(Context({"x": 2})) == "<li>2</li>"


@only_on_core
class CoreTemplateTests(SimpleTestCase):
    def test_load_partials_fails_without_the_package(self):
        with pytest.raises(TemplateSyntaxError, match="'partials' is not a registered tag library"):
            render("{% load partials %}")

    def test_startpartial_is_an_invalid_block_tag(self):
        with pytest.raises(TemplateSyntaxError, match="Invalid block tag.*'startpartial'"):
            render("{% startpartial a %}x{% endpartial %}")

    def test_inline_true_is_an_error(self):
        with pytest.raises(TemplateSyntaxError, match="'inline' argument"):
            render("{% partialdef a inline=True %}x{% endpartialdef %}")

    def test_two_partials_of_one_name_are_an_error(self):
        with pytest.raises(TemplateSyntaxError, match="Partial 'a' is already defined"):
            render("{% partialdef a %}1{% endpartialdef %}{% partialdef a %}2{% endpartialdef %}")


@only_on_backport
class BackportTemplateTests(SimpleTestCase):
    def test_startpartial_warns_and_works(self):
        with pytest.warns(DeprecationWarning, match="'startpartial' tag is deprecated"):
            assert render("{% startpartial a %}x{% endpartial %}{% partial a %}") == "x"

    def test_inline_true_warns_and_works(self):
        with pytest.warns(DeprecationWarning, match="'inline' argument"):
            assert render("{% partialdef a inline=True %}x{% endpartialdef %}") == "x"

    def test_two_partials_of_one_name_keep_the_last(self):
        source = (
            "{% partialdef a %}1{% endpartialdef %}{% partialdef a %}2{% endpartialdef %}"
            "{% partial a %}"
        )
        assert render(source) == "2"


# -- The how-to says what the page says ------------------------------------------------


def test_howto_shows_the_generated_settings_diff():
    block = howto_block(HOWTO, "code-block", "settings-diff")
    shown = [line[3:] for line in block.content if line.strip()]
    diff = settings_diff(
        migration.settings_code(core=False), migration.settings_code(core=True), migration.LABELS
    )

    assert shown == [line.text.rstrip() for line in diff]
