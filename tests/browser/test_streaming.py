"""The streaming chat in a real browser: an answer arrives token by token, then closes for good.

The live server is WSGI: the room streams there through its sync path, one thread per stream.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from django_six_demos.streaming.models import Message
from tests.browser.session import sign_in

STREAM_URL = re.compile(r"/streaming/stream/[\w-]+/$")

# Recorded in the page: the answer's text after every change, while it streams.
WATCH_ANSWER = """
window.__answerStates = [];
new MutationObserver(() => {
  const answer = document.querySelector("#chat-messages .chat-assistant:last-of-type .chat-streaming");
  if (answer) window.__answerStates.push(answer.textContent);
}).observe(document.querySelector("#chat-messages"), {childList: true, subtree: true, characterData: true});
"""


@pytest.fixture
def slow_model(settings):
    """A model slow enough to watch: a first token after 0.2 s, then one every 40 ms."""
    settings.DJANGO_SIX_DEMOS_STREAMING = {"TOKEN_DELAY": 0.04, "FIRST_TOKEN_DELAY": 0.2}


def ask(page, live_server, question):
    page.goto(live_server.url + "/streaming/")
    page.evaluate(WATCH_ANSWER)
    page.get_by_label("Your question").fill(question)
    page.get_by_role("button", name="Ask").click()


def test_an_answer_streams_in_then_the_stream_closes(strict_page, live_server, seeded, slow_model):
    page = strict_page
    stream_requests: list[str] = []
    page.on(
        "request",
        lambda request: (
            stream_requests.append(request.url) if STREAM_URL.search(request.url) else None
        ),
    )
    sign_in(page, live_server, "ada")
    ask(page, live_server, "Which talks cover testing?")

    answer = page.locator("#chat-messages .chat-assistant").last
    expect(answer.locator(".chat-badge")).to_have_text("Complete", timeout=20_000)
    expect(answer.locator(".chat-answer")).to_contain_text("testing", ignore_case=True)
    final = answer.locator(".chat-answer").inner_text()

    # The answer grew in steps before the final render replaced it.
    states = [s for s in dict.fromkeys(page.evaluate("window.__answerStates")) if s.strip()]
    assert len(states) >= 3, states
    assert all(len(a) < len(b) for a, b in zip(states, states[1:], strict=False)), states

    # One request to the one-time stream URL, and none after the closing event.
    assert len(stream_requests) == 1, stream_requests
    page.wait_for_timeout(3_000)
    assert len(stream_requests) == 1, stream_requests

    stored = Message.objects.get(role=Message.Role.ASSISTANT)
    assert stored.status == Message.Status.COMPLETE
    assert final.split()[:3] == stored.content.replace("*", "").split()[:3]


def test_stop_keeps_what_arrived_as_interrupted(strict_page, live_server, seeded, settings):
    settings.DJANGO_SIX_DEMOS_STREAMING = {"TOKEN_DELAY": 0.2, "FIRST_TOKEN_DELAY": 0}
    page = strict_page
    sign_in(page, live_server, "ada")
    ask(page, live_server, "Tell me about every talk.")

    answer = page.locator("#chat-messages .chat-assistant").last
    expect(answer.locator(".chat-streaming")).not_to_be_empty()
    page.get_by_role("button", name="Stop").click()

    expect(answer.locator(".chat-badge")).to_have_text("Interrupted", timeout=10_000)
    stored = Message.objects.get(role=Message.Role.ASSISTANT)
    assert stored.status == Message.Status.INTERRUPTED
    assert stored.content
    expect(answer.locator(".chat-answer")).to_be_visible()
