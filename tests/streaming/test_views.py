"""The chat page, asking and stopping: CSRF, sign-in, limits and caps, bad input, owners only."""

from __future__ import annotations

import re
from unittest import mock

from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from django_six_demos.streaming.answers import stop_key
from django_six_demos.streaming.forms import MAX_PROMPT_LENGTH
from django_six_demos.streaming.models import Conversation, Message
from django_six_demos.streaming.views import (
    MAX_CONVERSATIONS_PER_USER,
    MAX_MESSAGES_PER_CONVERSATION,
)
from tests.streaming.helpers import PROVIDER, ScriptedModel, TwoUsersTestCase, pending_answer

INDEX = reverse("django_six_demos_streaming:index")
ASK = reverse("django_six_demos_streaming:ask")
HTMX = {"HX-Request": "true"}


def counts() -> tuple[int, int]:
    return Conversation.objects.count(), Message.objects.count()


class ChatPageTests(TwoUsersTestCase):
    def test_a_stranger_sees_the_room_and_a_sign_in_link_back_here(self):
        response = self.client.get(INDEX)

        assert response.status_code == 200
        assert "<h1>Streaming AI answers</h1>" in response.text
        assert 'href="/demos/sign-in/?next=/demos/streaming/"' in response.text
        assert 'id="ask-form"' not in response.text

    def test_the_page_says_which_model_answers_and_how_to_switch(self):
        response = self.client.get(INDEX)

        assert "A deterministic stand-in for a language model" in response.text
        assert "OLLAMA_URL" in response.text

    @override_settings(DJANGO_SIX_DEMOS_STREAMING={"OLLAMA_URL": "http://ollama.test:11434"})
    def test_with_ollama_configured_the_page_names_it(self):
        response = self.client.get(INDEX)

        assert "http://ollama.test:11434" in response.text

    def test_the_page_says_it_was_served_over_wsgi(self):
        response = self.client.get(INDEX)

        assert "<strong>WSGI</strong>: answers still stream" in response.text

    async def test_the_page_says_it_was_served_over_asgi(self):
        response = await self.async_client.get(INDEX)

        assert b"<strong>ASGI</strong>: the stream is an async generator" in response.content

    def test_only_this_room_loads_the_sse_extension_with_the_nonce(self):
        page = self.client.get(INDEX).text
        other = self.client.get(reverse("demos-crud-index")).text

        assert re.search(
            r'<script src="[^"]*django_htmx/ext/hx-sse-2[^"]*" defer nonce="[^"]+"', page
        )
        assert "hx-sse" not in other
        assert "streaming.js" in page

    def test_a_user_sees_their_own_conversations_only(self):
        mine = pending_answer(self.user, "Mine?").conversation
        theirs = pending_answer(self.other, "Theirs?").conversation
        self.client.force_login(self.user)

        page = self.client.get(INDEX).text

        assert reverse("django_six_demos_streaming:conversation", args=[mine.pk]) in page
        assert reverse("django_six_demos_streaming:conversation", args=[theirs.pk]) not in page
        assert 'id="ask-form"' in page

    def test_a_conversation_page_connects_its_pending_answer(self):
        answer = pending_answer(self.user)
        self.client.force_login(self.user)

        page = self.client.get(
            reverse("django_six_demos_streaming:conversation", args=[answer.conversation_id])
        ).text

        stream = reverse("django_six_demos_streaming:stream", args=[answer.stream_token])
        assert f'sse-connect="{stream}"' in page
        assert 'sse-close="done"' in page
        assert 'sse-swap="token"' in page
        assert "Which talks cover testing?" in page

    def test_another_users_conversation_is_not_found(self):
        answer = pending_answer(self.other)
        self.client.force_login(self.user)

        response = self.client.get(
            reverse("django_six_demos_streaming:conversation", args=[answer.conversation_id])
        )

        assert response.status_code == 404

    def test_a_finished_answer_is_shown_as_sanitized_html_and_the_question_escaped(self):
        answer = pending_answer(self.user, "<b>bold?</b>")
        answer.content = "**Yes** <img src=x onerror=alert(1)>"
        answer.status = Message.Status.COMPLETE
        answer.save()
        self.client.force_login(self.user)

        page = self.client.get(
            reverse("django_six_demos_streaming:conversation", args=[answer.conversation_id])
        ).text

        assert "<strong>Yes</strong>" in page
        assert "<img" not in page
        assert "&lt;b&gt;bold?&lt;/b&gt;" in page
        assert 'sse-connect="/demos/' not in page


class AskTests(TwoUsersTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.user)

    def test_htmx_gets_the_question_and_an_answer_that_connects_its_stream(self):
        with mock.patch(PROVIDER, return_value=ScriptedModel([])):
            response = self.client.post(
                ASK, {"prompt": "Which talks cover <b>testing</b>?"}, headers=HTMX
            )

        assert response.status_code == 200
        chat = Conversation.objects.get()
        question, answer = chat.messages.all()
        assert (question.role, question.status) == ("user", "complete")
        assert question.content == "Which talks cover <b>testing</b>?"
        assert (answer.role, answer.status, answer.provider) == (
            "assistant",
            "pending",
            "Scripted model",
        )
        assert answer.stream_token and len(answer.stream_token) >= 32
        stream = reverse("django_six_demos_streaming:stream", args=[answer.stream_token])
        assert f'sse-connect="{stream}"' in response.text
        assert "Which talks cover &lt;b&gt;testing&lt;/b&gt;?" in response.text
        # A fresh form for the next question, in the same conversation, out of band.
        assert 'hx-swap-oob="outerHTML"' in response.text
        assert f'name="conversation" value="{chat.pk}"' in response.text
        conversation = reverse("django_six_demos_streaming:conversation", args=[chat.pk])
        assert response["HX-Push-Url"] == conversation
        assert chat.title == "Which talks cover <b>testing</b>?"

    def test_without_htmx_the_answer_is_on_the_conversation_page(self):
        response = self.client.post(ASK, {"prompt": "List the talks"})

        chat = Conversation.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse(
            "django_six_demos_streaming:conversation", args=[chat.pk]
        )

    def test_a_question_continues_its_conversation_with_the_history(self):
        first = pending_answer(self.user)

        self.client.post(ASK, {"prompt": "And Ada?", "conversation": first.conversation_id})

        assert Conversation.objects.count() == 1
        assert [m.content for m in first.conversation.messages.filter(role="user")] == [
            "Which talks cover testing?",
            "And Ada?",
        ]

    def test_someone_elses_conversation_is_not_found_and_nothing_is_stored(self):
        theirs = pending_answer(self.other).conversation
        before = counts()

        response = self.client.post(ASK, {"prompt": "Hi", "conversation": theirs.pk})

        assert response.status_code == 404
        assert counts() == before

    def assert_refused(self, data: dict[str, str], message: str) -> None:
        for headers in ({}, HTMX):
            before = counts()

            response = self.client.post(ASK, data, headers=headers)

            assert response.status_code == 422, response.status_code
            assert message in response.text
            assert counts() == before
            if headers:
                assert response["HX-Retarget"] == "#ask-form"
                assert response["HX-Reswap"] == "outerHTML"
                assert response.text.lstrip().startswith("<form")

    def test_an_empty_question_is_a_form_error(self):
        self.assert_refused({"prompt": "   "}, "Type a question first.")

    def test_a_question_of_ten_thousand_characters_is_a_form_error(self):
        self.assert_refused(
            {"prompt": "x" * 10_000},
            f"Ensure this value has at most {MAX_PROMPT_LENGTH} characters (it has 10000).",
        )

    def test_a_nul_character_is_a_form_error(self):
        self.assert_refused({"prompt": "Which talks\x00?"}, "Null characters are not allowed.")

    def test_a_full_conversation_asks_for_a_new_one(self):
        answer = pending_answer(self.user)
        chat = answer.conversation
        for number in range(MAX_MESSAGES_PER_CONVERSATION - 2):
            Message.objects.create(conversation=chat, role="user", content=f"{number}")

        self.assert_refused(
            {"prompt": "One more?", "conversation": str(chat.pk)},
            f"This conversation has {MAX_MESSAGES_PER_CONVERSATION} messages",
        )

    def test_only_the_newest_conversations_are_kept(self):
        for number in range(MAX_CONVERSATIONS_PER_USER):
            Conversation.objects.create(owner=self.user, title=f"Old {number}")
        oldest = Conversation.objects.order_by("pk")[0]

        self.client.post(ASK, {"prompt": "A new one"})

        assert Conversation.objects.filter(owner=self.user).count() == MAX_CONVERSATIONS_PER_USER
        assert not Conversation.objects.filter(pk=oldest.pk).exists()
        assert Conversation.objects.filter(title="A new one").exists()

    def test_a_post_without_the_csrf_token_is_refused(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.user)

        response = client.post(ASK, {"prompt": "Hi"})

        assert response.status_code == 403
        assert counts() == (0, 0)

    def test_a_stranger_is_sent_to_sign_in_and_nothing_is_stored(self):
        self.client.logout()

        plain = self.client.post(
            ASK, {"prompt": "Hi"}, headers={"Referer": "http://testserver/demos/streaming/"}
        )
        htmx = self.client.post(ASK, {"prompt": "Hi"}, headers=HTMX)

        assert plain.status_code == 302
        assert plain["Location"].startswith("/demos/sign-in/?next=")
        assert htmx["HX-Redirect"].startswith("/demos/sign-in/")
        assert counts() == (0, 0)

    @override_settings(RATELIMIT_ENABLE=True)
    def test_past_the_rate_limit_a_429_and_nothing_stored(self):
        statuses = [self.client.post(ASK, {"prompt": "Hi"}).status_code for _ in range(30)]
        before = counts()

        refused = self.client.post(ASK, {"prompt": "Hi"})

        assert statuses == [302] * 30
        assert refused.status_code == 429
        assert "Too many requests to ask the model" in refused.text
        assert counts() == before

    def test_the_asking_page_is_not_a_get(self):
        assert self.client.get(ASK).status_code == 405


class StopTests(TwoUsersTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.user)
        self.answer = pending_answer(self.user)
        self.url = reverse("django_six_demos_streaming:stop", args=[self.answer.pk])

    def test_stop_sets_the_flag_the_stream_reads(self):
        response = self.client.post(self.url, headers=HTMX)

        assert response.status_code == 200
        assert response.text == "Stopping…"
        assert cache.get(stop_key(self.answer.pk)) is True

    def test_a_finished_answer_says_so(self):
        Message.objects.filter(pk=self.answer.pk).update(status=Message.Status.COMPLETE)

        response = self.client.post(self.url, headers=HTMX)

        assert "already ended (complete)" in response.text
        assert cache.get(stop_key(self.answer.pk)) is None

    def test_without_htmx_back_to_the_conversation(self):
        response = self.client.post(self.url)

        assert response.status_code == 302
        assert cache.get(stop_key(self.answer.pk)) is True

    def test_someone_elses_answer_cannot_be_stopped(self):
        self.client.force_login(self.other)

        response = self.client.post(self.url, headers=HTMX)

        assert response.status_code == 404
        assert cache.get(stop_key(self.answer.pk)) is None

    def test_stop_needs_the_csrf_token(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.user)

        assert client.post(self.url).status_code == 403
        assert cache.get(stop_key(self.answer.pk)) is None
