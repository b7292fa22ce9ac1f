"""docs/howto/add-to-existing-project.rst, followed word for word on a fresh ``startproject``.

Each of the page's code blocks is appended to the file its caption names, and each of
its commands runs in a shell, in page order (the long-running ``runserver`` and
``demos_worker`` as child processes). Then, over HTTP: a CSP report sent to the
header's ``report-uri`` reaches the collector, staff send the acceptance emails and the
worker runs the task to SUCCESSFUL, the tasks page lists the messages, and a speaker
edits one of their talks. A run without one of the page's steps fails.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode, urljoin

import django
import pytest

from tests.test_docs import directives
from tests.test_example_project import OutputReader, free_port, start_process
from tests.test_move_to_postgresql import documented_commands

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "howto" / "add-to-existing-project.rst"
README = ROOT / "README.md"

# The page's console blocks show these commands, in this order, and no others but
# NOT_RUN (test_the_page_shows_exactly_the_tested_commands). They run in a shell, in
# the project's directory; "python" is this interpreter.
CHECK = "python manage.py check"
MIGRATE = "python manage.py migrate"
SEED = "python manage.py demos_seed"
# Long-running: started as child processes, stopped once the site has been tried.
# runserver gets a free port appended, so that runs in parallel never collide, and
# --noreload: one process, started once (the reloader would start the site twice).
SERVER = "python manage.py runserver"
WORKER = "python manage.py demos_worker"
COMMANDS = (CHECK, MIGRATE, SEED, SERVER, WORKER)
# Shown on the page, not run here: the package is installed in the test environment.
NOT_RUN = (
    'python -m pip install "django-six-demos[api]"',
    'python -m pip install "django-six-demos[api,backports]"',
)

# The captions of the page's code blocks: the file to append to, and the Django lines
# the block is for.
CAPTIONS: dict[str, tuple[str, Callable[[tuple[int, ...]], bool]]] = {
    "mysite/settings.py": ("mysite/settings.py", lambda version: True),
    "mysite/settings.py (Django 6.1)": ("mysite/settings.py", lambda version: version >= (6, 1)),
    "mysite/settings.py (Django 5.2 and 6.0)": (
        "mysite/settings.py",
        lambda version: version < (6, 1),
    ),
    "mysite/urls.py": ("mysite/urls.py", lambda version: True),
}

DEMO_PASSWORDS = {"staff": "staff-demo", "ada": "ada-demo"}
FINISHED = ("SUCCESSFUL", "FAILED")
# A task's status badge on its page (tasks/status.html).
STATUS_BADGE = re.compile(r'class="task-status-badge [^"]*">(\w+)<')
# What the test's CSP report says it blocked, to find it on the collector's page.
BLOCKED = "https://attacker.example/add-to-existing-project.js"
# The variables of pytest-django and of this project's settings: the children configure
# themselves, as mysite's manage.py does.
PROJECT_VARIABLES = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DEMOS_TASKS_BACKEND", "REDIS_URL")
TIMEOUT = 120  # seconds, for one command


# -- The page --------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of the page: a code block to append to ``file``, or a command to run."""

    line: int
    text: str
    file: str = ""
    output: str = ""  # what the page shows a command printing

    def __str__(self) -> str:
        return f"line {self.line}: " + (f"append to {self.file}" if self.file else self.text)


def page_steps(version: tuple[int, ...] | None = None) -> list[Step]:
    """The page's code blocks for Django ``version`` (the running one) and its commands, in order."""
    version = version or django.VERSION[:2]
    steps = []
    for block in directives(PAGE, "code-block"):
        if block.argument == "console":
            text = "\n".join(line.strip() for line in block.content).strip()
            for command, output in re.findall(r"^\$ (.*)\n?((?:[^$].*\n?)*)", text, re.MULTILINE):
                if command not in NOT_RUN:
                    steps.append(Step(block.line, command, output=output.strip()))
            continue
        assert block.argument == "python", f"line {block.line}: a {block.argument} block"
        file, applies = CAPTIONS[block.options["caption"]]
        if applies(version):
            code = textwrap.dedent("\n".join(block.content)).strip()
            steps.append(Step(block.line, code, file))
    return steps


def python_blocks(markdown: str) -> list[str]:
    """The code of a Markdown file's python blocks (in a list item, indented)."""
    blocks = re.findall(r"^( *)```python\n(.*?)^ *```", markdown, re.DOTALL | re.MULTILINE)
    return [textwrap.dedent(code).strip() for _indent, code in blocks]


def test_the_page_shows_exactly_the_tested_commands():
    shown = documented_commands(PAGE)

    assert [command for command in shown if command not in NOT_RUN] == list(COMMANDS)
    assert set(NOT_RUN) <= set(shown)


@pytest.mark.parametrize("version", [(5, 2), (6, 0), (6, 1)], ids=lambda v: f"{v[0]}.{v[1]}")
def test_every_code_block_says_where_it_goes_and_each_line_gets_one_mail_step(version):
    blocks = [b for b in directives(PAGE, "code-block") if b.argument != "console"]
    edits = [step for step in page_steps(version) if step.file]

    assert {block.options.get("caption") for block in blocks} == set(CAPTIONS)
    # Two blocks for every line (apps and settings, SQLite), one mail block, the URLs.
    assert len(edits) == 4
    assert sum("EMAIL_BACKEND" in s.text or "MAILERS" in s.text for s in edits) == 1


def test_the_readme_shows_the_how_tos_code():
    page_code = {step.text for step in page_steps() if step.file}
    readme = README.read_text(encoding="utf-8")

    assert python_blocks(readme)
    assert set(python_blocks(readme)) <= page_code
    assert "docs/howto/add-to-existing-project.rst" in readme


# -- HTTP, as a browser without JavaScript -----------------------------------------


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)


class FormParser(HTMLParser):
    """The forms of a page with the values a browser would submit (no buttons)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", "")))
        elif not self.forms:
            return
        fields = self.forms[-1].fields if self.forms else {}
        name = a.get("name", "")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") not in ("radio", "checkbox") or "checked" in a:
                fields[name] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            fields[name] = ""
        elif tag == "select":
            self._select = name
            fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data


def page_forms(text: str) -> list[Form]:
    parser = FormParser()
    parser.feed(text)
    return parser.forms


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str


class Browser:
    """One visitor: cookies kept, redirects returned (not followed)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirects()
        )

    def request(
        self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        request = urllib.request.Request(urljoin(self.base, path), data, headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return Response(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                return Response(error.code, dict(error.headers), error.read().decode())

    def get(self, path: str) -> Response:
        return self.request(path)

    def post(self, path: str, fields: dict[str, str]) -> Response:
        return self.request(path, urlencode(fields).encode())

    def form(self, path: str, action: str) -> Form:
        """The form posting to ``action`` on the page at ``path``."""
        page = self.get(path)
        assert page.status == 200, f"GET {path}: {page.status}"
        forms = [form for form in page_forms(page.text) if form.action == action]
        assert forms, f"no form posting to {action} on {path}"
        return forms[0]

    def sign_in(self, username: str) -> None:
        """Follow the header's "Sign in" link from the demos' home page, and sign in."""
        home = self.get("/demos/").text
        link = re.search(r'<div class="site-account">\s*<a href="([^"]+)">Sign in</a>', home)
        assert link, "no sign-in link in the header"
        page = html.unescape(link[1])
        action = page.partition("?")[0]
        form = self.form(page, action)
        fields = form.fields | {"username": username, "password": DEMO_PASSWORDS[username]}
        response = self.post(action, fields)
        assert response.status == 302, f"{username} could not sign in: {response.status}"


# -- The project -----------------------------------------------------------------


class Project:
    """A fresh ``startproject`` in ``directory``; ``stage`` says what is being done."""

    def __init__(self, directory: Path, *, deploy_check: bool = False) -> None:
        self.directory = directory
        self.deploy_check = deploy_check
        self.env = {k: v for k, v in os.environ.items() if k not in PROJECT_VARIABLES}
        self.env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), self.env["PATH"]])
        # As the suite: a deprecation is an error, in the children too.
        self.env["PYTHONWARNINGS"] = "error::DeprecationWarning,error::PendingDeprecationWarning"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.children: list[tuple[subprocess.Popen[str], OutputReader]] = []
        self.stage = "startproject"
        self.outputs: dict[str, str] = {}

    def run(self, command: str) -> str:
        result = subprocess.run(
            ["sh", "-c", command],
            cwd=self.directory,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}{result.stderr}"
        return result.stdout + result.stderr

    def start(self, command: str) -> subprocess.Popen[str]:
        process, reader = start_process(["sh", "-c", f"exec {command}"], self.env, self.directory)
        self.children.append((process, reader))
        return process

    def stop(self) -> None:
        for process, reader in self.children:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            reader.close()

    def logs(self) -> str:
        return "\n".join(reader.text for _process, reader in self.children)

    def follow(self, steps: list[Step]) -> None:
        """Make each edit and run each command of ``steps``, in order."""
        self.run(f"python -m django startproject mysite {self.directory}")
        for step in steps:
            self.stage = str(step)
            if step.file:
                path = self.directory / step.file
                path.write_text(path.read_text() + "\n\n" + step.text + "\n")
            elif step.text == SERVER:
                server = self.start(f"{SERVER} 127.0.0.1:{self.port} --noreload")
                self.wait_for_server(server)
            elif step.text == WORKER:
                self.start(WORKER)
            else:
                if step.text == MIGRATE and self.deploy_check:
                    self.outputs["check --deploy"] = self.run(
                        "python manage.py check --deploy --fail-level CRITICAL"
                    )
                self.outputs[step.text] = self.run(step.text)
                assert step.output in self.outputs[step.text], self.outputs[step.text]

    def wait_for_server(self, server: subprocess.Popen[str]) -> None:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"runserver exited:\n{self.logs()}"
            try:
                urllib.request.urlopen(self.base + "/static/", timeout=5).close()
            except urllib.error.HTTPError as error:
                error.close()
                return  # it answers
            except OSError:
                assert time.monotonic() < deadline, f"runserver never answered:\n{self.logs()}"
                time.sleep(0.2)
            else:
                return

    # -- What a visitor does -------------------------------------------------------

    def try_the_site(self) -> dict[str, object]:
        """Send a CSP report, the emails as staff and a talk edit as ada; say what was seen."""
        seen: dict[str, object] = {}
        visitor = Browser(self.base)

        self.stage = "a CSP report reaches the collector"
        home = visitor.get("/demos/")
        assert home.status == 200, home.status
        policy = home.headers["Content-Security-Policy"]
        [report_uri] = re.findall(r"report-uri ([^;\s]+)", policy)
        report = {
            "csp-report": {
                "document-uri": self.base + "/demos/",
                "effective-directive": "script-src-elem",
                "blocked-uri": BLOCKED,
            }
        }
        sent = visitor.request(
            report_uri, json.dumps(report).encode(), {"Content-Type": "application/csp-report"}
        )
        seen["report"] = (report_uri, sent.status)

        self.stage = "staff signs in"
        staff = Browser(self.base)
        staff.sign_in("staff")
        reports = staff.get("/demos/csp/reports/")
        seen["collected"] = BLOCKED in html.unescape(reports.text)

        self.stage = "staff sends the emails, the worker runs the task"
        form = staff.form("/demos/tasks/", "/demos/tasks/emails/")
        enqueued = staff.post("/demos/tasks/emails/", form.fields)
        assert enqueued.status == 302, f"the emails were not enqueued: {enqueued.status}"
        seen["task"] = self.wait_for_task(staff, enqueued.headers["Location"])

        self.stage = "the tasks page lists the emails"
        tasks_page = staff.get("/demos/tasks/").text
        section = tasks_page.partition('id="sent-emails"')[2].partition("</section>")[0]
        seen["emails listed"] = len(re.findall(r"<summary>", section))
        assert seen["emails listed"], f"no sent email on the tasks page:\n{section}"

        self.stage = "ada signs in and edits a talk"
        ada = Browser(self.base)
        ada.sign_in("ada")
        # The list's search box, with her speaker name.
        talks = ada.get("/demos/crud/demos-talk/?" + urlencode({"q": "Ada Lovelace"}))
        edit = re.search(r'href="(/demos/crud/demos-talk/\d+/edit/)"', talks.text)
        assert edit, f"no talk of ada's to edit: {talks.status}"
        talk_form = ada.form(edit[1], edit[1])
        title = "Edited by the how-to's test"
        saved = ada.post(edit[1], talk_form.fields | {"title": title})
        assert saved.status == 302, f"the talk was not saved: {saved.status}"
        shown = ada.get(saved.headers["Location"])
        seen["edited"] = (title in html.unescape(shown.text), "updated" in shown.text)
        return seen

    def wait_for_task(self, browser: Browser, status_url: str) -> str:
        deadline = time.monotonic() + 30
        while True:
            page = browser.get(status_url)
            [status] = STATUS_BADGE.findall(page.text)
            if status in FINISHED:
                return str(status)
            assert time.monotonic() < deadline, f"the task is still {status}:\n{self.logs()}"
            time.sleep(0.3)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    site = Project(tmp_path)
    try:
        yield site
    finally:
        site.stop()


CHECK_IDS = re.compile(r"\((django_six_demos\.[EW]\d+)\)")


@pytest.mark.slow
def test_the_how_to_adds_working_demos_to_a_fresh_project(project):
    project.deploy_check = True
    project.follow(page_steps())
    seen = project.try_the_site()

    # No warning, W010 included: the SQLite step configured the database.
    assert "System check identified no issues (0 silenced)." in project.outputs[CHECK]
    # The deployment checks too, before migrate: the demo-password check (E015)
    # finds no table to read and stays silent instead of crashing. (Django's own
    # deployment warnings on startproject's settings are not ours to test.)
    assert CHECK_IDS.findall(project.outputs["check --deploy"]) == []
    assert seen["report"] == ("/demos/csp/report/", 204)
    assert seen["collected"] is True
    assert seen["task"] == "SUCCESSFUL"
    assert seen["emails listed"] > 0
    assert seen["edited"] == (True, True)
    assert list((project.directory / "sent-emails").glob("*.log"))


# Two representative drops, one of each kind of step, failing at two different points.
# The SQLite block (an edit): check, the page's first command, then warns (W010) instead
# of printing what the page shows. The seed command: everything runs, but nobody can sign
# in. Dropping each step in turn would start the site once per step, for what these two
# show: edits and commands both count, and the run checks both the commands' output and
# the site's behaviour.
DROPS = {
    "sqlite": (lambda step: "sqlite_database" in step.text, CHECK, r"\(django_six_demos\.W010\)"),
    "demos_seed": (lambda step: step.text == SEED, "staff signs in", "staff could not sign in"),
}


@pytest.mark.slow
@pytest.mark.parametrize("dropped", DROPS)
def test_the_run_fails_without_a_step_of_the_page(project, dropped):
    is_dropped, failing_stage, error = DROPS[dropped]
    steps = page_steps()
    kept = [step for step in steps if not is_dropped(step)]
    assert len(kept) == len(steps) - 1

    with pytest.raises(AssertionError, match=error):
        project.follow(kept)
        project.try_the_site()

    assert project.stage.endswith(failing_stage)
