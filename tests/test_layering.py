"""Architecture rules, read from the code: who may import, read the version, name a demo
or build a template name.

Each rule is a function over a package tree; the demos' names come from conf's
discovery. Each rule is also run on a planted tree, to prove that it can fail.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

from django_six_demos import conf

# The checkout's source tree, not the installed copy: tox installs a wheel.
ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "django_six_demos"
DOMAIN = "conference"
TEXT_SUFFIXES = {".html", ".css", ".js", ".txt", ".json", ".svg", ".md"}


def module_name(path: Path, root: Path) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path) -> set[str]:
    """Modules ``path`` imports: import statements (relative ones resolved) and import_module()/include() strings."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = module_name(path, root).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(here[: len(here) - node.level + 1] if node.level else [])
            module = ".".join(filter(None, [base, node.module or ""]))
            modules.add(module)
            modules.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            first = node.args[0]
            if name in {"import_module", "import_string", "include"} and isinstance(
                first, ast.Constant
            ):
                modules.add(str(first.value))
    return modules


def python_files(root: Path) -> Iterator[Path]:
    yield from (path for path in root.rglob("*.py") if "__pycache__" not in path.parts)


def is_within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def outermost(modules: Iterable[str]) -> list[str]:
    """``modules`` without those inside another one (``from a import b`` gives a and a.b)."""
    modules = set(modules)
    return sorted(m for m in modules if not any(o != m and is_within(m, o) for o in modules))


def cross_demo_imports(root: Path, demos: Iterable[str]) -> list[str]:
    """Rule: a demo never imports another demo."""
    demos = list(demos)
    offences = []
    for demo in demos:
        others = [f"{root.name}.{other}" for other in demos if other != demo]
        for path in python_files(root / demo):
            found = [
                m for m in imported_modules(path, root) if any(is_within(m, o) for o in others)
            ]
            offences += [f"{path.relative_to(root)} imports {m}" for m in outermost(found)]
    return offences


def domain_imports(root: Path, demos: Iterable[str], domain: str = DOMAIN) -> list[str]:
    """Rule: the domain app (conference) imports no demo."""
    packages = [f"{root.name}.{demo}" for demo in demos]
    return [
        f"{path.relative_to(root)} imports {module}"
        for path in python_files(root / domain)
        for module in outermost(
            m for m in imported_modules(path, root) if any(is_within(m, p) for p in packages)
        )
    ]


_VERSION_ATTRIBUTES = {"VERSION", "__version__", "get_version"}


def version_reads(root: Path) -> list[str]:
    """Rule: only compat.py reads Django's version (django.VERSION, get_version(), metadata)."""
    offences = []
    for path in python_files(root):
        if path.name == "compat.py" and path.parent == root:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            found = None
            if isinstance(node, ast.Attribute) and node.attr in _VERSION_ATTRIBUTES:
                if isinstance(node.value, ast.Name) and node.value.id == "django":
                    found = f"django.{node.attr}"
            elif isinstance(node, ast.ImportFrom) and node.module == "django":
                names = {alias.name for alias in node.names} & _VERSION_ATTRIBUTES
                found = f"from django import {', '.join(sorted(names))}" if names else None
            elif isinstance(node, ast.Call) and node.args:
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                first = node.args[0]
                if (
                    name in {"version", "distribution"}
                    and isinstance(first, ast.Constant)
                    and str(first.value).lower() == "django"
                ):
                    found = f'{name}("django")'
            if found:
                line = getattr(node, "lineno", 0)
                offences.append(f"{path.relative_to(root)}:{line} reads {found}")
    return offences


# Calls whose template argument sits at this position (or in a template keyword).
_TEMPLATE_CALLS = {
    "render": 1,
    "TemplateResponse": 1,
    "SimpleTemplateResponse": 0,
    "render_to_string": 0,
    "get_template": 0,
    "select_template": 0,
}


def _carries_request(node: ast.AST) -> bool:
    """Whether the request's data flows into the value of ``node``.

    A condition on the request choosing between fixed names, or a fixed mapping
    looked up by a request key, does not build a name from request data.
    """
    if isinstance(node, ast.Name):
        return node.id == "request"
    if isinstance(node, ast.Attribute) and node.attr == "request":
        return True
    if isinstance(node, ast.IfExp):
        return _carries_request(node.body) or _carries_request(node.orelse)
    if isinstance(node, ast.Subscript):
        return _carries_request(node.value)
    return any(_carries_request(child) for child in ast.iter_child_nodes(node))


def request_built_template_names(root: Path) -> list[str]:
    """Rule: no template or partial name is built from request data."""
    offences = []
    for path in python_files(root):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names: list[ast.AST] = []
            if isinstance(node, ast.Call):
                call = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if call in _TEMPLATE_CALLS:
                    names += node.args[_TEMPLATE_CALLS[call] :][:1]
                    names += [
                        k.value for k in node.keywords if k.arg in ("template", "template_name")
                    ]
            elif isinstance(node, ast.Assign):
                if any(
                    getattr(t, "id", getattr(t, "attr", "")) == "template_name"
                    for t in node.targets
                ):
                    names.append(node.value)
            elif isinstance(node, ast.FunctionDef) and node.name == "get_template_names":
                names += [r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value]
            if any(_carries_request(name) for name in names):
                offences.append(
                    f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)} builds a template name from the request"
                )
    return offences


def demo_names(package: str, configs: Mapping[str, object]) -> dict[str, set[str]]:
    """The strings that name each demo: module path, label, static/template folder, index URL name."""
    names = {}
    for demo, config in configs.items():
        names[demo] = {f"{package}.{demo}", f"{package}_{demo}", f"{package}/{demo}/"}
        names[demo] |= {
            value
            for value in (getattr(config, "label", ""), getattr(config, "index_url_name", ""))
            if value
        }
    return names


def _mentions(text: str, name: str) -> bool:
    end = r"(?!\w)" if name[-1].isalnum() or name[-1] == "_" else ""
    return re.search(rf"(?<![\w.]){re.escape(name)}{end}", text) is not None


def top_level_names(root: Path, names: Mapping[str, set[str]]) -> list[str]:
    """Rule: nothing outside the demos' folders (modules, templates, static files) names a demo."""
    offences = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or relative.parts[0] in names or "__pycache__" in relative.parts:
            continue
        if path.suffix == ".py":
            tree = ast.parse(path.read_text(), filename=str(path))
            texts = [
                str(node.value)
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant) and isinstance(node.value, str)
            ]
            texts += imported_modules(path, root)
        elif path.suffix in TEXT_SUFFIXES:
            texts = [path.read_text()]
        else:
            continue
        for demo, demo_tokens in names.items():
            if any(_mentions(text, token) for text in texts for token in demo_tokens):
                offences.append(f"{relative} names the {demo} demo")
    return offences


def example_project_packages(example_root: Path) -> set[str]:
    return {example_root.name} | {path.parent.name for path in example_root.glob("*/__init__.py")}


def example_project_imports(root: Path, example_root: Path) -> list[str]:
    """Rule: the app never imports the example project."""
    packages = example_project_packages(example_root)
    return [
        f"{path.relative_to(root)} imports {module}"
        for path in python_files(root)
        for module in outermost(
            m for m in imported_modules(path, root) if m.split(".")[0] in packages
        )
    ]


# -- The rules on django_six_demos --------------------------------------------


def test_the_demos_are_discovered_and_each_has_an_explicit_label():
    assert len(conf.DEMOS) >= 5
    for demo, config in conf.DEMO_CONFIGS.items():
        assert (PACKAGE / demo / "apps.py").is_file()
        assert config.label == f"django_six_demos_{demo}"
    assert DOMAIN not in conf.DEMOS


def test_demos_never_import_each_other():
    assert cross_demo_imports(PACKAGE, conf.DEMOS) == []


def test_the_domain_imports_no_demo():
    assert domain_imports(PACKAGE, conf.DEMOS) == []


def test_only_compat_reads_the_django_version():
    assert version_reads(PACKAGE) == []


def test_the_top_level_names_no_demo():
    assert top_level_names(PACKAGE, demo_names(PACKAGE.name, conf.DEMO_CONFIGS)) == []


def test_no_template_name_is_built_from_request_data():
    assert request_built_template_names(PACKAGE) == []


def test_the_app_never_imports_the_example_project():
    assert "example" in example_project_packages(ROOT / "example_project")
    assert example_project_imports(PACKAGE, ROOT / "example_project") == []


# -- Each rule fails on a planted violation -----------------------------------


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def planted(tmp_path):
    """A clean tree in the shape of the package: two demos, the domain, the top level."""
    root = tmp_path / "house"
    write(root / "__init__.py", "")
    write(root / "compat.py", "import django\n\nLINE = django.VERSION[:2]\n")
    write(root / "urls.py", "from house import views\n")
    write(root / "templates" / "house" / "base.html", "{% block content %}{% endblock %}\n")
    write(root / "static" / "house" / "base.css", "body { margin: 0; }\n")
    write(root / DOMAIN / "models.py", "from house import compat\n")
    for demo in ("alpha", "beta"):
        write(root / demo / "__init__.py", "")
        write(
            root / demo / "views.py", f"from house import compat\nfrom house.{demo} import forms\n"
        )
        write(
            root / demo / "templates" / "house" / demo / "index.html",
            f"{{% url 'house_{demo}:index' %}}\n",
        )
    example = tmp_path / "example_project"
    write(example / "example" / "__init__.py", "")
    for rule in (cross_demo_imports, domain_imports):
        assert rule(root, ["alpha", "beta"]) == []
    assert version_reads(root) == []
    assert top_level_names(root, demo_names("house", {"alpha": None, "beta": None})) == []
    assert example_project_imports(root, example) == []
    write(
        root / "alpha" / "pages.py",
        "def page(request):\n"
        '    name = "alpha.html#rows" if request.htmx else "alpha.html"\n'
        '    return render(request, name if False else PAGES[request.GET["p"]])\n',
    )
    assert request_built_template_names(root) == []
    return root


@pytest.mark.parametrize(
    "code",
    [
        "from house.alpha.views import index\n",
        "from ..alpha import views\n",
        'include("house.alpha.urls")\n',
    ],
)
def test_a_cross_demo_import_fails(planted, code):
    write(planted / "beta" / "forms.py", code)

    [offence] = cross_demo_imports(planted, ["alpha", "beta"])
    assert offence.startswith("beta/forms.py imports house.alpha")


def test_a_domain_importing_a_demo_fails(planted):
    write(planted / DOMAIN / "admin.py", "import house.beta.models\n")

    assert domain_imports(planted, ["alpha", "beta"]) == [
        f"{DOMAIN}/admin.py imports house.beta.models"
    ]


@pytest.mark.parametrize(
    ("code", "found"),
    [
        ("import django\nif django.VERSION >= (6, 0): pass\n", "django.VERSION"),
        ("import django\nX = django.get_version()\n", "django.get_version"),
        ("from django import VERSION\n", "from django import VERSION"),
        ('from importlib import metadata\nX = metadata.version("Django")\n', 'version("django")'),
    ],
)
def test_a_version_read_outside_compat_fails(planted, code, found):
    write(planted / "alpha" / "gates.py", code)

    [offence] = version_reads(planted)
    assert offence.startswith("alpha/gates.py:")
    assert offence.endswith(f" reads {found}")


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("urls.py", 'from django.urls import include\nurls = [include("house.alpha.urls")]\n'),
        ("views.py", "from house.beta import views\n"),
        ("checks.py", 'LABEL = "house_beta"\n'),
        ("templates/house/index.html", "<a href=\"{% url 'house_alpha:index' %}\">Alpha</a>\n"),
        ("static/house/base.css", "/* moved from house/alpha/alpha.css */\n"),
    ],
)
def test_the_top_level_naming_a_demo_fails(planted, path, text):
    write(planted / path, text)

    [offence] = top_level_names(planted, demo_names("house", {"alpha": None, "beta": None}))
    assert offence.startswith(f"{path} names the ")


def test_the_app_importing_the_example_project_fails(planted):
    write(planted / "settings_help.py", "from example.settings import base\n")

    assert example_project_imports(planted, planted.parent / "example_project") == [
        "settings_help.py imports example.settings"
    ]


@pytest.mark.parametrize(
    "code",
    [
        "render(request, f\"house/{request.GET['page']}.html\")",
        'render_to_string("house/x.html#" + request.POST.get("partial", ""))',
        'TemplateResponse(request, template_name=request.GET["t"])',
        "get_template(self.request.htmx.target)",
    ],
)
def test_a_template_name_from_request_data_fails(planted, code):
    write(planted / "beta" / "views.py", f"def view(self, request):\n    return {code}\n")

    [offence] = request_built_template_names(planted)
    assert offence == "beta/views.py:2 builds a template name from the request"


def test_a_template_name_method_reading_the_request_fails(planted):
    write(
        planted / "beta" / "views.py",
        "class V:\n    def get_template_names(self):\n"
        "        return [f\"house/{self.request.GET['t']}.html\"]\n",
    )

    [offence] = request_built_template_names(planted)
    assert offence.startswith("beta/views.py:2 ")
