"""E018: a streaming setting the room cannot use stops the server with the reason, not a 500 later."""

from __future__ import annotations

from django.core.checks import run_checks
from django.test import override_settings


def e018() -> list[str]:
    return [m.msg for m in run_checks() if m.id == "django_six_demos.E018"]


def test_the_test_settings_pass():
    assert e018() == []


@override_settings(DJANGO_SIX_DEMOS_STREAMING={"OLLAMA_URL": "ollama.local:11434"})
def test_an_ollama_url_without_a_scheme_is_an_error():
    [message] = e018()

    assert "must be an http(s) URL" in message
    assert "'ollama.local:11434'" in message


@override_settings(DJANGO_SIX_DEMOS_STREAMING={"TOKEN_DELAYS": 0})
def test_a_misspelt_key_is_an_error():
    [message] = e018()

    assert "unknown keys TOKEN_DELAYS" in message
