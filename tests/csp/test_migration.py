"""The django-csp to core migration how-to: generated settings, page, and its claims."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.test import RequestFactory, SimpleTestCase, TestCase, override_settings
from django.urls import reverse
from django.utils.module_loading import import_string

from django_six_demos import compat, conf, csp_policy
from django_six_demos.csp import migration
from django_six_demos.csp_header import parse
from django_six_demos.settings_code import settings_diff
from tests.csp_utils import header_nonces
from tests.migration_pages import MigrationPageChecks, howto_block, run_settings
from tests.test_docs import DOCS

only_on_core = pytest.mark.skipif(not compat.HAS_BUILTIN_CSP, reason="Django 6.0+: core CSP")
only_on_backport = pytest.mark.skipif(compat.HAS_BUILTIN_CSP, reason="Django 5.2: django-csp")


# -- csp_settings_for ------------------------------------------------------------------


def test_csp_settings_for_core():
    settings = migration.csp_settings_for(
        {
            "default-src": [csp_policy.NONE],
            "script-src": [csp_policy.NONCE, csp_policy.STRICT_DYNAMIC],
        },
        core=True,
    )

    assert list(settings) == ["SECURE_CSP"]
    assert settings["SECURE_CSP"]["default-src"] == ["'none'"]
    nonce, strict_dynamic = settings["SECURE_CSP"]["script-src"]
    assert (repr(nonce), nonce.imports) == ("CSP.NONCE", "from django.utils.csp import CSP")
    assert strict_dynamic == "'strict-dynamic'"


def test_csp_settings_for_django_csp():
    settings = migration.csp_settings_for({"script-src": [csp_policy.NONCE]}, core=False)

    assert list(settings) == ["CONTENT_SECURITY_POLICY"]
    [nonce] = settings["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["script-src"]
    assert (repr(nonce), nonce.imports) == ("NONCE", "from csp.constants import NONCE")


@pytest.mark.parametrize(
    ("core", "names"),
    [
        (True, ["SECURE_CSP", "SECURE_CSP_REPORT_ONLY"]),
        (False, ["CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"]),
    ],
)
def test_csp_settings_for_report_only(core, names):
    both = migration.csp_settings_for({"img-src": [csp_policy.SELF]}, report_only={}, core=core)
    only = migration.csp_settings_for(report_only={"img-src": [csp_policy.SELF]}, core=core)

    assert list(both) == names
    assert list(only) == names[1:]


def test_csp_settings_for_keeps_bare_directives_and_returns_fresh_lists():
    policy: dict[str, list[str] | bool] = {
        "upgrade-insecure-requests": True,
        "img-src": [csp_policy.SELF],
    }
    settings = migration.csp_settings_for(policy, core=True)
    settings["SECURE_CSP"]["img-src"].append("x")

    assert settings["SECURE_CSP"]["upgrade-insecure-requests"] is True
    assert policy["img-src"] == ["'self'"]


def plain(source: Any) -> str:
    """A source as a string, any stack's nonce object as "nonce"."""
    if compat.HAS_BUILTIN_CSP:
        from django.utils.csp import CSP

        # Core's CSP.NONCE is a str enum member.
        if source is CSP.NONCE:
            return "nonce"
    return source if isinstance(source, str) else "nonce"


def test_csp_settings_for_this_line_is_csp_settings_with_printable_nonces():
    policy = conf.strict_policy(report_uri="/r/")
    printable = migration.csp_settings_for(policy, report_only=policy, core=compat.HAS_BUILTIN_CSP)
    live = compat.csp_settings(policy, report_only=policy)

    assert list(printable) == list(live)
    for name in live:
        live_value, printable_value = live[name], printable[name]
        if not compat.HAS_BUILTIN_CSP:
            live_value, printable_value = live_value["DIRECTIVES"], printable_value["DIRECTIVES"]
        assert list(live_value) == list(printable_value)
        for directive, sources in live_value.items():
            assert [plain(s) for s in sources] == [plain(s) for s in printable_value[directive]]


# -- The settings as Python source -------------------------------------------------


def run_in_project(code: str, **names: Any) -> dict[str, Any]:
    """Run ``code`` below what a settings.py defines before it."""
    project = {
        "INSTALLED_APPS": ["django.contrib.admin"],
        "TEMPLATES": [{"OPTIONS": {"context_processors": []}}],
    }
    return run_settings(code, **project, **names)


@pytest.mark.parametrize("core", [True, False])
def test_settings_code_runs_and_holds_the_policy(core):
    policy = conf.strict_policy()
    code = migration.settings_code(policy, core=core)
    # The import of the other stack cannot run here: give its names directly.
    code = "\n".join(line for line in code.splitlines() if not line.startswith("from "))
    nonce = object()
    settings = run_in_project(code, CSP=type("CSP", (), {"NONCE": nonce}), NONCE=nonce)

    expected = {
        name: [nonce if s is csp_policy.NONCE else s for s in sources]
        for name, sources in policy.items()
    }
    if core:
        assert settings["SECURE_CSP"] == expected
        assert settings["INSTALLED_APPS"] == ["django.contrib.admin"]
        assert settings["MIDDLEWARE"][1] == compat.CORE_CSP_MIDDLEWARE
        assert settings["TEMPLATES"][0]["OPTIONS"]["context_processors"] == [
            "django.template.context_processors.csp"
        ]
    else:
        assert settings["CONTENT_SECURITY_POLICY"] == {"DIRECTIVES": expected}
        assert settings["INSTALLED_APPS"] == ["django.contrib.admin", "csp"]
        assert settings["MIDDLEWARE"][1] == compat.DJANGO_CSP_MIDDLEWARE
        assert settings["TEMPLATES"][0]["OPTIONS"]["context_processors"] == [
            "csp.context_processors.nonce"
        ]
    assert settings["MIDDLEWARE"][0] == "django.middleware.security.SecurityMiddleware"


def test_settings_code_of_this_line_runs_as_written_and_matches_the_live_settings():
    """The "you are here" column, imports included, configures what this site runs."""
    policy = conf.strict_policy()
    settings = run_in_project(migration.settings_code(policy, core=compat.HAS_BUILTIN_CSP))

    assert settings[compat.CSP_SETTING] == compat.csp_settings(policy)[compat.CSP_SETTING]
    assert compat.CSP_MIDDLEWARE in settings["MIDDLEWARE"]


def test_settings_code_writes_the_report_only_policy_too():
    code = migration.settings_code(
        {"img-src": [csp_policy.SELF]}, report_only={"img-src": []}, core=True
    )

    assert 'SECURE_CSP_REPORT_ONLY = {\n    "img-src": [],\n}' in code
    assert not code.startswith("from ")


def test_site_policies_are_the_configured_ones():
    assert migration.site_policies() == (compat.configured_policies()["enforce"], None)


def test_site_policies_fall_back_to_the_strict_policy():
    with override_settings(**{compat.CSP_SETTING: {}}):
        assert migration.site_policies() == (conf.strict_policy(), None)


def test_site_policies_show_a_report_url_name_as_its_path():
    """Copied into a project without the demos, a URL name would be sent as it is."""
    policy = conf.strict_policy(report_uri="django_six_demos_csp:report")
    with override_settings(**compat.csp_settings(policy, report_only=policy)):
        enforce, report_only = migration.site_policies()
    path = reverse("django_six_demos_csp:report")
    assert enforce["report-uri"] == [path]
    assert report_only is not None and report_only["report-uri"] == [path]


# -- The page ------------------------------------------------------------------------


def both_columns() -> tuple[str, str]:
    enforce, report_only = migration.site_policies()
    return (
        migration.settings_code(enforce, report_only=report_only, core=False),
        migration.settings_code(enforce, report_only=report_only, core=True),
    )


class MigratePageTests(MigrationPageChecks, TestCase):
    url = reverse("django_six_demos_csp:migrate")
    room_url_name = "django_six_demos_csp:index"
    feature = "csp"
    labels = migration.LABELS
    on_core = compat.HAS_BUILTIN_CSP
    howto = DOCS / "howto" / "migrate-django-csp.rst"
    howto_table = "csp-changes"

    def setUp(self):
        self.before, self.after = both_columns()

    def test_the_backport_line_names_its_nonce_processor(self):
        page = self.get()

        if not compat.HAS_BUILTIN_CSP:
            assert "<code>django_six_demos.context_processors.csp_nonce</code>" in page
        assert "<script>" not in self.response.text

    def test_columns_hold_each_stacks_settings(self):
        page = self.get()

        before, after = self.column(page, "before"), self.column(page, "after")
        assert "CONTENT_SECURITY_POLICY" in before
        assert "CSPMiddleware" in before
        assert "SECURE_CSP" in after
        assert "ContentSecurityPolicyMiddleware" in after
        assert "csp.constants" not in after

    def test_settings_follow_the_configured_policy(self):
        policy = {**conf.strict_policy(), "report-uri": ["/somewhere/else/"]}
        with override_settings(**compat.csp_settings(policy, report_only=policy)):
            page = self.get()

        assert "-        &quot;report-uri&quot;: [&quot;/somewhere/else/&quot;]," in page
        assert "+    &quot;report-uri&quot;: [&quot;/somewhere/else/&quot;]," in page
        assert "SECURE_CSP_REPORT_ONLY" in self.column(page, "after")
        assert "CONTENT_SECURITY_POLICY_REPORT_ONLY" in self.column(page, "before")

    def test_lists_the_translation_table(self):
        page = self.get()

        assert "<td><code>{% load csp %}{% script %}…{% endscript %}</code></td>" in page
        assert (
            "<td><code>&lt;script nonce=&quot;{{ csp_nonce }}&quot;&gt;…&lt;/script&gt;</code></td>"
            in page
        )
        assert "<td><code>@csp_exempt()</code></td>" in page
        assert "django_six_demos.W006" in page
        assert "security.W027" in page


# -- The translation table is true on this line --------------------------------------------


def nonce_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(compat.get_nonce(request)))


def run_middleware(view, request=None, **settings_overrides):
    request = request or RequestFactory().get("/")
    middleware = import_string(compat.CSP_MIDDLEWARE)(view)
    with override_settings(**settings_overrides):
        return request, middleware(request)


class TemplateTranslationTests(SimpleTestCase):
    def test_nonce_attribute_renders_the_nonce_on_both_lines(self):
        request, response = run_middleware(
            lambda request: HttpResponse(
                Template('<script nonce="{{ csp_nonce }}"></script>').render(
                    Context({"csp_nonce": compat.get_nonce(request)})
                )
            )
        )

        [nonce] = header_nonces(response)
        assert response.content.decode() == f'<script nonce="{nonce}"></script>'

    @only_on_core
    def test_load_csp_fails_without_django_csp(self):
        with pytest.raises(TemplateSyntaxError, match="'csp' is not a registered tag library"):
            Engine().from_string("{% load csp %}")

    @only_on_core
    def test_core_processor_names_it_csp_nonce_not_CSP_NONCE(self):
        from django.template.context_processors import csp

        request, _ = run_middleware(nonce_view)
        assert set(csp(request)) == {"csp_nonce"}

    @only_on_backport
    def test_django_csp_script_tag_and_CSP_NONCE_give_the_same_nonce(self):
        from csp.context_processors import nonce

        from django_six_demos.context_processors import csp_nonce

        def view(request):
            context = {"request": request, **nonce(request), **csp_nonce(request)}
            template = Template(
                "{% load csp %}{% script %}x{% endscript %}|{{ CSP_NONCE }}|{{ csp_nonce }}"
            )
            return HttpResponse(template.render(Context(context)))

        _, response = run_middleware(view)
        [header] = header_nonces(response)
        tag, django_csp_name, core_name = response.content.decode().split("|")
        assert tag == f'<script nonce="{header}">x</script>'
        assert django_csp_name == core_name == header

    @pytest.mark.skipif(not compat.HAS_CSP_NONCE_CHECK, reason="Django 6.1+")
    def test_csp_nonce_attr_tag_on_django_6_1(self):
        request, response = run_middleware(
            lambda request: HttpResponse(
                Template("<script {% csp_nonce_attr %}></script>").render(
                    Context({"csp_nonce": compat.get_nonce(request)})
                )
            )
        )

        [nonce] = header_nonces(response)
        assert response.content.decode() == f'<script nonce="{nonce}"></script>'


class RequestNonceTranslationTests(SimpleTestCase):
    @only_on_core
    def test_get_nonce_is_the_public_accessor(self):
        from django.middleware.csp import get_nonce

        request, response = run_middleware(nonce_view)

        [nonce] = header_nonces(response)
        assert response.content.decode() == nonce
        assert str(get_nonce(request)) == nonce
        assert not hasattr(request, "csp_nonce")

    @only_on_backport
    def test_request_csp_nonce_is_django_csps(self):
        request, response = run_middleware(nonce_view)

        [nonce] = header_nonces(response)
        assert str(request.csp_nonce) == response.content.decode() == nonce


class DecoratorTranslationTests(SimpleTestCase):
    def policy(self, response, header="Content-Security-Policy"):
        return parse(response.headers[header]) if header in response.headers else None

    @only_on_core
    def test_csp_override_with_the_site_policy_is_csp_replace(self):
        from django.conf import settings
        from django.views.decorators.csp import csp_override

        def view(request):
            return csp_override({**settings.SECURE_CSP, "img-src": ["data:"]})(
                lambda request: HttpResponse()
            )(request)

        _, response = run_middleware(view)
        policy = self.policy(response)
        assert policy["img-src"] == ["data:"]
        assert policy["default-src"] == ["'none'"]

    @only_on_backport
    def test_django_csp_csp_replace_keeps_the_other_directives(self):
        from csp.decorators import csp_replace

        _, response = run_middleware(csp_replace({"img-src": ["data:"]})(lambda r: HttpResponse()))
        policy = self.policy(response)
        assert policy["img-src"] == ["data:"]
        assert policy["default-src"] == ["'none'"]

    @only_on_core
    def test_empty_overrides_remove_both_headers(self):
        from django.views.decorators.csp import csp_override, csp_report_only_override

        policy = compat.configured_policies()["enforce"]
        view = csp_override({})(csp_report_only_override({})(lambda request: HttpResponse()))
        _, response = run_middleware(view, **compat.csp_settings(policy, report_only=policy))

        assert self.policy(response) is None
        assert self.policy(response, "Content-Security-Policy-Report-Only") is None

    @only_on_backport
    def test_csp_exempt_removes_only_the_enforced_header(self):
        from csp.decorators import csp_exempt

        policy = compat.configured_policies()["enforce"]
        view = csp_exempt()(lambda request: HttpResponse())
        _, response = run_middleware(view, **compat.csp_settings(policy, report_only=policy))

        assert self.policy(response) is None
        assert self.policy(response, "Content-Security-Policy-Report-Only") is not None


class BehaviourTranslationTests(SimpleTestCase):
    def test_a_views_own_404_in_debug(self):
        _, response = run_middleware(lambda request: HttpResponseNotFound("gone"), DEBUG=True)

        # Core skips only its technical 404 page; django-csp skips every 404.
        assert ("Content-Security-Policy" in response.headers) is compat.HAS_BUILTIN_CSP

    def test_a_views_own_404_outside_debug_has_the_policy_on_both(self):
        _, response = run_middleware(lambda request: HttpResponseNotFound("gone"), DEBUG=False)

        assert "Content-Security-Policy" in response.headers

    def test_reading_the_nonce_after_the_header_is_written(self):
        request, response = run_middleware(lambda request: HttpResponse())

        assert header_nonces(response) == []
        if compat.HAS_BUILTIN_CSP:
            # Core hands out a value that is in no header: its scripts are blocked.
            assert len(str(compat.get_nonce(request))) == 22
        else:
            from csp.exceptions import CSPNonceError

            with pytest.raises(CSPNonceError):
                str(request.csp_nonce)


# -- The how-to says what the page says ----------------------------------------------------

HOWTO = DOCS / "howto" / "migrate-django-csp.rst"


def test_howto_shows_the_generated_settings_diff():
    block = howto_block(HOWTO, "code-block", "settings-diff")
    shown = [line[3:] for line in block.content if line.strip()]
    policy = conf.strict_policy()
    diff = settings_diff(
        migration.settings_code(policy, core=False),
        migration.settings_code(policy, core=True),
        migration.LABELS,
    )

    # A blank context line is blank in the page too.
    assert shown == [line.text.rstrip() for line in diff if line.text.strip()]


def test_howto_is_in_the_howto_toctree():
    from tests.test_docs import toctree_entries

    assert "migrate-django-csp" in toctree_entries(DOCS / "howto" / "index.rst")
