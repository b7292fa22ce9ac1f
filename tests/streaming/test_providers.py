"""The providers' interface, the setting that picks one, and the built-in model's answers."""

from __future__ import annotations

import asyncio
import re
import time
from types import SimpleNamespace
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import SimpleTestCase, TestCase, override_settings

from django_six_demos.conference.models import Talk
from django_six_demos.streaming.markdown import render_markdown
from django_six_demos.streaming.providers import (
    ChatMessage,
    ProviderError,
    builtin,
    get_provider,
    last_user_message,
)
from django_six_demos.streaming.providers.builtin import (
    BENCHMARK_PROMPT,
    HELP,
    BuiltinModel,
    answer,
    tokenize,
)
from django_six_demos.streaming.providers.ollama import OllamaProvider
from django_six_demos.streaming.settings import StreamingSettings, streaming_settings


def ask(prompt: str) -> list[ChatMessage]:
    return [ChatMessage("user", prompt)]


async def collect(model: BuiltinModel, messages: list[ChatMessage]) -> list[str]:
    return [token async for token in model.stream(messages)]


# No waiting in tests that are not about the waiting.
INSTANT = BuiltinModel(token_delay=0, first_token_delay=0, max_tokens=10_000)


class StreamingSettingsTests(SimpleTestCase):
    def test_without_the_setting_every_default_applies(self):
        with override_settings():
            from django.conf import settings

            del settings.DJANGO_SIX_DEMOS_STREAMING
            assert streaming_settings() == StreamingSettings(
                OLLAMA_URL=None,
                OLLAMA_MODEL="llama3.2",
                TOKEN_DELAY=0.05,
                FIRST_TOKEN_DELAY=0.3,
                MAX_TOKENS=400,
                TIMEOUT=30.0,
            )

    @override_settings(
        DJANGO_SIX_DEMOS_STREAMING={
            "OLLAMA_URL": "http://127.0.0.1:11434/",
            "OLLAMA_MODEL": "qwen2.5:3b",
            "TOKEN_DELAY": 0,
            "FIRST_TOKEN_DELAY": 1,
            "MAX_TOKENS": 50,
            "TIMEOUT": 60,
        }
    )
    def test_each_key_is_read_and_the_url_loses_its_trailing_slash(self):
        assert streaming_settings() == StreamingSettings(
            OLLAMA_URL="http://127.0.0.1:11434",
            OLLAMA_MODEL="qwen2.5:3b",
            TOKEN_DELAY=0.0,
            FIRST_TOKEN_DELAY=1.0,
            MAX_TOKENS=50,
            TIMEOUT=60.0,
        )

    @override_settings(DJANGO_SIX_DEMOS_STREAMING={"OLLAMA_URL": ""})
    def test_an_empty_url_means_the_built_in_model(self):
        assert streaming_settings().OLLAMA_URL is None
        assert isinstance(get_provider(), BuiltinModel)

    def test_a_wrong_key_or_value_is_named(self):
        cases = [
            ({"MAX_TOKEN": 10}, "unknown keys MAX_TOKEN"),
            ({"OLLAMA_URL": "127.0.0.1:11434"}, "['OLLAMA_URL'] must be an http(s) URL"),
            ({"OLLAMA_MODEL": " "}, "['OLLAMA_MODEL'] must name a model"),
            ({"TOKEN_DELAY": -1}, "['TOKEN_DELAY'] must be 0 or more seconds"),
            ({"FIRST_TOKEN_DELAY": "soon"}, "['FIRST_TOKEN_DELAY'] must be a number"),
            ({"TIMEOUT": 0}, "['TIMEOUT'] must be more than 0 seconds"),
            ({"MAX_TOKENS": 0}, "['MAX_TOKENS'] must be a whole number of 1 or more"),
            ({"MAX_TOKENS": True}, "['MAX_TOKENS'] must be a whole number"),
        ]
        for value, message in cases:
            with (
                self.subTest(value=value),
                override_settings(DJANGO_SIX_DEMOS_STREAMING=value),
                pytest.raises(ImproperlyConfigured, match=re.escape(message)),
            ):
                streaming_settings()

    @override_settings(DJANGO_SIX_DEMOS_STREAMING=["OLLAMA_URL"])
    def test_a_setting_that_is_not_a_dict_is_refused(self):
        with pytest.raises(ImproperlyConfigured, match="must be a dict, not list"):
            streaming_settings()


class GetProviderTests(SimpleTestCase):
    @override_settings(
        DJANGO_SIX_DEMOS_STREAMING={"TOKEN_DELAY": 0.1, "FIRST_TOKEN_DELAY": 2, "MAX_TOKENS": 7}
    )
    def test_without_ollama_url_the_built_in_model_answers_with_the_configured_pace(self):
        provider = get_provider()
        assert isinstance(provider, BuiltinModel)
        assert (provider.token_delay, provider.first_token_delay, provider.max_tokens) == (
            0.1,
            2.0,
            7,
        )
        assert "OLLAMA_URL" in provider.description  # says how to switch

    @override_settings(
        DJANGO_SIX_DEMOS_STREAMING={
            "OLLAMA_URL": "http://ollama.test:11434",
            "OLLAMA_MODEL": "mistral",
            "TIMEOUT": 5,
            "MAX_TOKENS": 9,
        }
    )
    def test_with_ollama_url_ollama_answers(self):
        provider = get_provider()
        assert isinstance(provider, OllamaProvider)
        assert (provider.url, provider.model, provider.timeout, provider.max_tokens) == (
            "http://ollama.test:11434",
            "mistral",
            5.0,
            9,
        )
        assert provider.name == "Ollama"
        assert "'mistral'" in provider.description
        assert "http://ollama.test:11434" in provider.description

    def test_a_provider_error_reads_as_its_message(self):
        assert str(ProviderError("Cannot reach Ollama.")) == "Cannot reach Ollama."


class LastUserMessageTests(SimpleTestCase):
    def test_the_model_answers_the_last_user_message_of_the_conversation(self):
        conversation = [
            ChatMessage("user", "List the talks."),
            ChatMessage("assistant", "There are 54 accepted talks: ..."),
            ChatMessage("user", "What is Ada talking about?"),
            ChatMessage("assistant", ""),  # the answer being written
        ]
        assert last_user_message(conversation) == "What is Ada talking about?"
        assert last_user_message([]) == ""


class TokenizeTests(SimpleTestCase):
    def test_tokens_are_words_with_their_leading_whitespace_and_join_back_exactly(self):
        text = "Hi, **Ada**:\n\n- one  two\n"
        assert tokenize(text) == ["Hi,", " **Ada**:", "\n\n-", " one", "  two", "\n"]
        assert "".join(tokenize(text)) == text
        assert tokenize("") == []


class BuiltinModelAnswerTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("demos_seed", verbosity=0)

    async def test_a_topic_question_lists_accepted_talks_that_mention_it(self):
        text = await answer("Which talks cover testing?")
        assert text.startswith("4 accepted talks about *testing*:\n\n")
        assert "- **Permissions, the boring way** by Amara Lindqvist: Security track" in text
        assert "- **Beyond the basics of contributing to Django** by Lena Kapoor" in text
        # Mentions testing too, but is only submitted.
        assert "Contributing to Django in practice" not in text

    async def test_a_topic_matches_whole_words_only(self):
        # Its abstract says "fastest", which is not about testing.
        assert await Talk.objects.filter(
            title="Caching at scale", abstract__contains="fastest"
        ).aexists()
        text = await answer("Which talks cover testing?")
        assert "Caching at scale" not in text

    async def test_a_track_name_finds_the_talks_of_that_track(self):
        text = await answer("Anything on deployment?")
        assert text.startswith("13 accepted talks about *deployment*:")
        # The track's talks come first; talks that only mention deployment follow.
        ops = Talk.objects.filter(status="accepted", track=Talk.Track.OPERATIONS)
        async for talk in ops:
            assert f"**{talk.title}**" in text
        assert text.count("Deployment & operations track") == await ops.acount()

    async def test_when_is_a_speaker_speaking_answers_honestly_what_the_programme_holds(self):
        text = await answer("When is Ada speaking?")
        assert text.startswith("**Ada Lovelace** (Analytical Engines Ltd) gives 2 accepted talks:")
        assert (
            "- **Notes on the analytical engine behind QuerySet**: "
            "Databases & ORM track, advanced, 45 minutes.\n"
            "  A QuerySet is a description of a computation, not its result.\n"
        ) in text
        assert "**Poetical science: teaching Django to first-time programmers**" in text
        # Submitted and waitlisted talks are not announced.
        assert "Loops, laziness" not in text
        assert "Punch cards" not in text
        assert text.endswith("\n\n" + builtin.NO_SCHEDULE + "\n")
        assert "no time slots yet, so I cannot say when" in builtin.NO_SCHEDULE

    async def test_what_is_a_speaker_talking_about_lists_their_talks_without_the_schedule_note(
        self,
    ):
        text = await answer("what is hopper talking about")
        assert text.startswith("**Grace Hopper** (Compiler Works) gives 2 accepted talks:")
        assert "no time slots" not in text

    async def test_names_match_without_accents_or_case(self):
        text = await answer("ZOE?")
        assert text.startswith("**Zoë Whitfield**")

    async def test_a_speaker_without_an_accepted_talk_is_not_announced(self):
        # Oskar Schulz has only a submitted talk.
        text = await answer("What is Oskar talking about?")
        assert "Oskar" not in text.replace("*oskar*", "")
        assert "Contributing to Django in practice" not in text
        assert text.startswith("I found no accepted talk about *oskar*.")

    async def test_list_the_talks_lists_every_accepted_talk_with_its_speaker(self):
        text = await answer("List the talks")
        accepted = [talk async for talk in Talk.objects.filter(status="accepted")]
        assert text.startswith(f"There are {len(accepted)} accepted talks:\n\n")
        for talk in accepted:
            assert f"**{talk.title}** by " in text
        assert text.count("\n- **") == len(accepted)

    async def test_anything_else_gets_a_helpful_answer(self):
        for prompt in ["", "   ", "Hello!", "who?"]:
            with self.subTest(prompt=prompt):
                assert await answer(prompt) == HELP
        text = await answer("Tell me about quarks")
        assert text.startswith("I found no accepted talk about *quarks*.\n\n")
        assert text.endswith(HELP)

    async def test_a_very_long_question_searches_its_first_words(self):
        prompt = "Which talks cover testing " + " ".join(f"word{n}" for n in range(2000))
        text = await answer(prompt)
        assert text.startswith("4 accepted talks about *testing*, *word0*,")
        assert "*word7*" not in text

    async def test_markdown_in_a_title_is_escaped(self):
        talk = await Talk.objects.filter(status="accepted").select_related("speaker").afirst()
        assert talk is not None
        talk.title = "Testing <script> and *stars*"
        await talk.asave()
        text = await answer("Which talks cover testing?")
        html = render_markdown(text)
        assert "<strong>Testing &lt;script&gt; and *stars*</strong>" in html

    async def test_the_answer_renders_as_a_list_with_bold_titles(self):
        html = render_markdown(await answer("What is Ada talking about?"))
        assert "<strong>Ada Lovelace</strong>" in html
        assert html.count("<li>") == 2


class BuiltinModelStreamTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("demos_seed", verbosity=0)

    async def test_the_tokens_join_into_the_answer(self):
        conversation = [
            ChatMessage("user", "List the talks"),
            ChatMessage("assistant", "..."),
            ChatMessage("user", "When is Grace speaking?"),
        ]
        tokens = await collect(INSTANT, conversation)
        assert len(tokens) > 20
        assert "".join(tokens) == await answer("When is Grace speaking?")

    async def test_the_benchmark_prompt_gives_at_least_200_tokens_on_the_seeded_data(self):
        tokens = await collect(INSTANT, ask(BENCHMARK_PROMPT))
        assert len(tokens) >= 200

    async def test_max_tokens_cuts_the_answer(self):
        model = BuiltinModel(token_delay=0, first_token_delay=0, max_tokens=5)
        tokens = await collect(model, ask("List the talks"))
        full = tokenize(await answer("List the talks"))
        assert tokens == full[:5]

    async def test_it_waits_the_first_token_delay_then_the_token_delay_between_tokens(self):
        model = BuiltinModel(token_delay=0.25, first_token_delay=1.5, max_tokens=4)
        sleeps: list[float] = []

        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)

        # Only the model's own asyncio: the event loop keeps the real one.
        with mock.patch(f"{builtin.__name__}.asyncio", SimpleNamespace(sleep=sleep)):
            tokens = await collect(model, ask("List the talks"))
        assert len(tokens) == 4
        assert sleeps == [1.5, 0.25, 0.25, 0.25]

    async def test_the_first_token_really_waits(self):
        model = BuiltinModel(token_delay=0, first_token_delay=0.2, max_tokens=1)
        started = time.monotonic()
        await collect(model, ask("List the talks"))
        assert time.monotonic() - started >= 0.2

    async def test_every_query_runs_before_the_first_token(self):
        queries: list[str] = []

        def record(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        # The ORM's async calls run on the test's main thread: watch that thread's connection.
        await sync_to_async(lambda: connection.execute_wrappers.append(record))()
        try:
            stream = INSTANT.stream(ask("When is Ada speaking?"))
            await anext(stream)
            before_first_token = len(queries)
            rest = [token async for token in stream]
        finally:
            await sync_to_async(lambda: connection.execute_wrappers.remove(record))()
        assert before_first_token > 0
        assert rest
        assert len(queries) == before_first_token

    async def test_cancelling_a_stream_mid_answer_ends_it(self):
        model = BuiltinModel(token_delay=10, first_token_delay=0, max_tokens=100)
        received: list[str] = []

        async def consume() -> None:
            async for token in model.stream(ask("List the talks")):
                received.append(token)

        task = asyncio.ensure_future(consume())
        while not received:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert received == ["There"]
