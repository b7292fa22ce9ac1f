"""The streaming demo: a chat whose answers stream from an async view over server-sent events."""

from __future__ import annotations

from django_six_demos import compat
from django_six_demos.demo import DemoConfig, Source, package


class StreamingDemoConfig(DemoConfig):
    name = "django_six_demos.streaming"
    # An explicit label: the default ("streaming") could clash with other apps.
    label = "django_six_demos_streaming"
    verbose_name = "Streaming AI answers demo"
    title = "Streaming AI answers"
    summary = (
        "A chat that streams a model's answer token by token with htmx and server-sent "
        "events, from an async view, with CSRF on and every token escaped."
    )
    url_prefix = "streaming/"
    order = 6
    chapter = "tutorial/06-streaming"
    # Not a Django 6 feature: async views and async iterators arrived in Django 3.1 and 4.2.
    django_docs = "https://docs.djangoproject.com/en/6.0/topics/async/"
    django_docs_title = "Asynchronous support"
    package_docs = {
        "django-htmx": "https://django-htmx.readthedocs.io/en/latest/",
        "httpx": "https://www.python-httpx.org/",
        "markdown-it-py": "https://markdown-it-py.readthedocs.io/en/latest/",
        "nh3": "https://nh3.readthedocs.io/en/latest/",
    }

    def sources(self) -> list[Source]:
        return [
            Source("Async views and streaming responses", "Django", compat.DJANGO_LINE, True),
            package("htmx and its SSE extension", "django-htmx"),
            package("Ollama client (HTTP)", "httpx"),
            package("Markdown", "markdown-it-py"),
            package("HTML sanitizer", "nh3"),
        ]
