"""The built-in model: a deterministic stand-in for a language model, answering from the database.

It reads accepted talks from the database, writes a Markdown answer, then streams it word by
word with a configurable delay, like a model would: the room needs no network and no weights.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any, Final

from asgiref.sync import sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from django_six_demos.conference.access import public_talks, readable_speakers
from django_six_demos.conference.models import Talk
from django_six_demos.streaming.providers import ChatMessage, last_user_message

# The benchmark's question: its answer, on the seeded conference, is longer than 200 tokens.
BENCHMARK_PROMPT: Final = "Tell me about every talk."

# How many talks one answer lists: enough for the seeded programme, bounded when
# `demos_seed --extra-talks` has added thousands.
LIST_LIMIT: Final = 60
MATCH_LIMIT: Final = 12
# Rows a topic search reads before ranking them.
SEARCH_LIMIT: Final = 500
# Words of one question searched for: each adds conditions to one query, and a long prompt
# would otherwise build a query too deep for SQLite to parse.
KEYWORD_LIMIT: Final = 8

HELP: Final = (
    "I am the built-in model: I answer from the conference database, about its accepted "
    "talks and their speakers. Try asking:\n"
    "\n"
    "- **Which talks cover testing?** (or security, htmx, databases, any topic)\n"
    "- **What is Ada talking about?** (any speaker's first or last name)\n"
    "- **List the talks.**\n"
)
NO_SCHEDULE: Final = (
    "The programme has no time slots yet, so I cannot say when; "
    "what it does say is each talk's track, level and length."
)

_GREETINGS: Final = frozenset({"hello", "hi", "hey", "help", "thanks", "thank"})
_WHEN_WORDS: Final = frozenset({"when", "time", "times", "day", "schedule", "slot", "date"})
_LIST_WORDS: Final = frozenset({"list", "every", "all"})
# Name parts too common to identify a speaker on their own.
_NAME_PARTICLES: Final = frozenset({"van", "von", "den", "der", "de", "da", "di", "la", "le"})
# fmt: off
_STOPWORDS: Final = frozenset({
    "a", "about", "an", "and", "any", "anyone", "anything", "are", "at", "be", "by", "can",
    "could", "cover", "covering", "covers", "do", "does", "doing", "find", "for", "from", "get",
    "give", "has", "have", "how", "i", "in", "is", "it", "its", "know", "me", "mention",
    "mentions", "my", "of", "on", "or", "please", "say", "says", "show", "speak", "speaker",
    "speakers", "speaking", "talk", "talking", "talks", "tell", "that", "the", "there", "these",
    "this", "to", "us", "want", "was", "what", "which", "who", "will", "with", "would", "you",
})
# fmt: on
_TRACK_WORDS: Final = {
    "web": Talk.Track.WEB,
    "htmx": Talk.Track.WEB,
    "security": Talk.Track.SECURITY,
    "data": Talk.Track.DATA,
    "database": Talk.Track.DATA,
    "databases": Talk.Track.DATA,
    "orm": Talk.Track.DATA,
    "deployment": Talk.Track.OPERATIONS,
    "operations": Talk.Track.OPERATIONS,
    "ops": Talk.Track.OPERATIONS,
    "community": Talk.Track.COMMUNITY,
}
_TOKEN: Final = re.compile(r"\s*\S+|\s+")
_MARKDOWN_SPECIAL: Final = re.compile(r"([\\`*_\[\]<>#])")


def fold(text: str) -> str:
    """Lower case without accents, so "Zoë" and "zoe" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def tokenize(text: str) -> list[str]:
    """Split an answer into word pieces, each with its leading whitespace.

    ``"".join(tokenize(text)) == text``: ``"Hi, **Ada**"`` gives ``["Hi,", " **Ada**"]``.
    """
    return _TOKEN.findall(text)


def _stem(word: str) -> str:
    for suffix in ("ies", "ing", "ers", "es", "er", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _md(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _first_sentence(text: str) -> str:
    match = re.match(r".+?[.!?](?=\s|$)", text.strip(), re.DOTALL)
    return match[0] if match else text.strip()


# The columns an answer reads (abstracts only where it quotes or searches them): plain
# values, no model instances.
_COLUMNS: Final = ("title", "track", "level", "duration", "speaker__name")
_TRACKS: Final = dict(Talk.Track.choices)
_LEVELS: Final = dict(Talk.Level.choices)


def _facts(talk: dict[str, Any]) -> str:
    track, level = talk["track"], talk["level"]
    return (
        f"{_TRACKS.get(track, track)} track, {str(_LEVELS.get(level, level)).lower()}, "
        f"{talk['duration']} minutes"
    )


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _speaker_names() -> list[tuple[int, str]]:
    """The speakers of accepted talks: the ones any visitor may read about."""
    speakers = readable_speakers(AnonymousUser()).order_by("name", "pk")
    return list(speakers.values_list("pk", "name"))


def _named_speakers(prompt_words: set[str], speakers: Iterable[tuple[int, str]]) -> list[int]:
    """The speakers whose full, first or last name the prompt mentions."""
    named = []
    for pk, name in speakers:
        parts = [part for part in words(name) if part not in _NAME_PARTICLES]
        if parts and (parts[0] in prompt_words or parts[-1] in prompt_words):
            named.append(pk)
    return named


def _about_speakers(speaker_pks: list[int], asks_when: bool) -> str:
    talks = public_talks().filter(speaker__in=speaker_pks)
    by_speaker: dict[int, list[dict[str, Any]]] = {}
    for talk in talks.order_by("speaker__name", "speaker", "title", "pk").values(
        *_COLUMNS, "abstract", "speaker_id", "speaker__company"
    )[: LIST_LIMIT * len(speaker_pks)]:
        by_speaker.setdefault(talk["speaker_id"], []).append(talk)
    parts = []
    for speaker_talks in by_speaker.values():
        first = speaker_talks[0]
        who = f"**{_md(first['speaker__name'])}**"
        if first["speaker__company"]:
            who += f" ({_md(first['speaker__company'])})"
        lines = [f"{who} gives {_plural(len(speaker_talks), 'accepted talk', 'accepted talks')}:"]
        lines.append("")
        for talk in speaker_talks[:LIST_LIMIT]:
            lines.append(f"- **{_md(talk['title'])}**: {_facts(talk)}.")
            lines.append(f"  {_md(_first_sentence(talk['abstract']))}")
        parts.append("\n".join(lines))
    answer = "\n\n".join(parts)
    if asks_when:
        answer += "\n\n" + NO_SCHEDULE
    return answer + "\n"


def _every_talk() -> str:
    talks = public_talks().order_by("title", "pk")
    total = talks.count()
    if not total:
        return "There are no accepted talks yet: the programme committee is still deciding.\n"
    lines = [f"There are {_plural(total, 'accepted talk', 'accepted talks')}:", ""]
    for talk in talks.values(*_COLUMNS)[:LIST_LIMIT]:
        lines.append(f"- **{_md(talk['title'])}** by {_md(talk['speaker__name'])}: {_facts(talk)}.")
    if total > LIST_LIMIT:
        lines.extend(["", f"... and {total - LIST_LIMIT} more."])
    return "\n".join(lines) + "\n"


def _about_topic(keywords: list[str]) -> str:
    stems = sorted({_stem(word) for word in keywords})
    tracks = {_TRACK_WORDS[word] for word in keywords if word in _TRACK_WORDS}
    query = Q(track__in=tracks)
    for stem in stems:
        query |= Q(title__icontains=stem) | Q(abstract__icontains=stem)
    # The database narrows the rows; whole-word matching happens here ("test" is not "latest").
    patterns = [re.compile(rf"\b{re.escape(stem)}") for stem in stems]
    ranked: list[tuple[int, dict[str, Any]]] = []
    candidates = public_talks().filter(query).order_by("title", "pk").values(*_COLUMNS, "abstract")
    for talk in candidates[:SEARCH_LIMIT]:
        text = fold(f"{talk['title']} {talk['abstract']}")
        score = sum(1 for pattern in patterns if pattern.search(text))
        # A talk in the track is about the topic; one mention in an abstract may be in passing.
        score += 2 if talk["track"] in tracks else 0
        if score:
            ranked.append((score, talk))
    topic = ", ".join(f"*{_md(word)}*" for word in keywords)
    if not ranked:
        return f"I found no accepted talk about {topic}.\n\n" + HELP
    ranked.sort(key=lambda pair: -pair[0])  # stable: titles stay in order within a score
    lines = [f"{_plural(len(ranked), 'accepted talk', 'accepted talks')} about {topic}:", ""]
    for _, talk in ranked[:MATCH_LIMIT]:
        lines.append(f"- **{_md(talk['title'])}** by {_md(talk['speaker__name'])}: {_facts(talk)}.")
    if len(ranked) > MATCH_LIMIT:
        lines.extend(["", f"... and {len(ranked) - MATCH_LIMIT} more: ask about a narrower topic."])
    return "\n".join(lines) + "\n"


def _answer(prompt: str) -> str:
    prompt_words = words(prompt)
    if not prompt_words or set(prompt_words) <= _GREETINGS | _STOPWORDS:
        return HELP
    word_set = set(prompt_words)
    speakers = _named_speakers(word_set, _speaker_names())
    if speakers:
        return _about_speakers(speakers, asks_when=bool(word_set & _WHEN_WORDS))
    mentions_talks = any(word.startswith("talk") for word in prompt_words)
    if mentions_talks and word_set & _LIST_WORDS:
        return _every_talk()
    keywords = [
        word
        for word in dict.fromkeys(prompt_words)
        if word not in _STOPWORDS | _GREETINGS | _WHEN_WORDS | _LIST_WORDS and len(word) > 2
    ]
    if not keywords:
        return HELP
    return _about_topic(keywords[:KEYWORD_LIMIT])


async def answer(prompt: str) -> str:
    """Return the built-in model's whole answer to ``prompt``, in Markdown (queries, no delay).

    "Which talks cover testing?" lists talks by topic, "What is Ada talking about?" a speaker's
    talks, "List the talks" every accepted talk; anything else gets a note on what to ask.
    Its queries run together in one ``sync_to_async`` call, reading values, not model
    instances: each async ORM call would be a trip to a thread of its own.
    """
    return await sync_to_async(_answer)(prompt)


class BuiltinModel:
    """A deterministic model over the conference data, streaming its answer word by word."""

    name = "Built-in model"
    description = (
        "A deterministic stand-in for a language model: it answers questions about the "
        "conference from its database, one word at a time, with no network and no weights. "
        'Set DJANGO_SIX_DEMOS_STREAMING = {"OLLAMA_URL": "http://127.0.0.1:11434"} '
        "to talk to Ollama instead."
    )

    def __init__(
        self, token_delay: float = 0.05, first_token_delay: float = 0.3, max_tokens: int = 400
    ) -> None:
        self.token_delay = token_delay
        self.first_token_delay = first_token_delay
        self.max_tokens = max_tokens

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        """Yield the answer to the last user message: the first token after
        ``first_token_delay``, then one every ``token_delay``, at most ``max_tokens``."""
        text = await answer(last_user_message(messages))
        await asyncio.sleep(self.first_token_delay)
        # One token at a time from the text, not a list of them all held by every open stream.
        for number, match in enumerate(_TOKEN.finditer(text)):
            if number == self.max_tokens:
                break
            if number:
                await asyncio.sleep(self.token_delay)
            yield match[0]
