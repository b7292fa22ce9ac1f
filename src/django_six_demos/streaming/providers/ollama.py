"""Ollama as a provider: ``POST /api/chat`` with ``"stream": true``, read as NDJSON through httpx.

Each line carries the next piece of ``message.content``; the last says ``"done": true``. The
response lives inside ``async with``: closing the generator or cancelling it closes the connection.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any, Final

import httpx

from django_six_demos.streaming.providers import ChatMessage, ProviderError

# How much of an error response to read: enough for Ollama's one-line {"error": ...}.
ERROR_BODY_LIMIT: Final = 2000
_QUOTED_LINE_LIMIT: Final = 80


def _describe(error: httpx.HTTPError) -> str:
    # Some httpx errors carry no message (a bare ReadError): name the kind instead.
    return str(error) or type(error).__name__


class OllamaProvider:
    """Stream answers from an Ollama server's ``/api/chat``; errors become ``ProviderError``."""

    name = "Ollama"

    def __init__(
        self, url: str, model: str, timeout: float, *, max_tokens: int | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.model = model
        self.timeout = timeout
        self.max_tokens = max_tokens
        self.description = (
            f"The model {model!r} on the Ollama server at {self.url}. Remove OLLAMA_URL "
            "from DJANGO_SIX_DEMOS_STREAMING to use the built-in model instead."
        )

    def _payload(self, messages: Sequence[ChatMessage]) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
        }
        if self.max_tokens is not None:
            payload["options"] = {"num_predict": self.max_tokens}
        return payload

    async def _http_error(self, response: httpx.Response) -> ProviderError:
        body = b""
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) >= ERROR_BODY_LIMIT:
                break
        try:
            detail = str(json.loads(body)["error"])
        except (ValueError, TypeError, KeyError):
            detail = body[:ERROR_BODY_LIMIT].decode(errors="replace").strip()
        if response.status_code == httpx.codes.NOT_FOUND:
            return ProviderError(
                f"Ollama at {self.url} has no model {self.model!r} ({detail or 'not found'}): "
                f"run `ollama pull {self.model}` there, or set OLLAMA_MODEL to a model it has."
            )
        reason = detail or response.reason_phrase
        return ProviderError(f"Ollama at {self.url} answered {response.status_code}: {reason}")

    def _parse(self, line: str) -> dict[str, Any]:
        try:
            data = json.loads(line)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            quoted = line[:_QUOTED_LINE_LIMIT]
            raise ProviderError(
                f"Ollama at {self.url} sent a line that is not a JSON object: {quoted!r}"
            )
        if "error" in data:
            raise ProviderError(f"Ollama stopped with an error: {data['error']}")
        return data

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        """Yield each piece of the answer as Ollama sends it, up to ``max_tokens`` pieces."""
        count = 0
        try:
            async with (
                httpx.AsyncClient(timeout=httpx.Timeout(self.timeout)) as client,
                client.stream(
                    "POST", f"{self.url}/api/chat", json=self._payload(messages)
                ) as response,
            ):
                if response.status_code != httpx.codes.OK:
                    raise await self._http_error(response)
                async for line in response.aiter_lines():
                    if not line.strip():
                        continue
                    data = self._parse(line)
                    content = (data.get("message") or {}).get("content") or ""
                    if content:
                        yield str(content)
                        count += 1
                    if data.get("done") or (
                        self.max_tokens is not None and count >= self.max_tokens
                    ):
                        return
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise ProviderError(
                f"Cannot reach Ollama at {self.url}: {_describe(error)}. "
                "Is `ollama serve` running there?"
            ) from error
        except httpx.TimeoutException as error:
            raise ProviderError(
                f"Ollama at {self.url} sent nothing for {self.timeout:g} seconds; a model "
                "that is still loading can take that long: try again, or raise TIMEOUT."
            ) from error
        except httpx.HTTPError as error:
            raise ProviderError(
                f"The connection to Ollama at {self.url} broke: {_describe(error)}."
            ) from error
        raise ProviderError(f"Ollama at {self.url} ended its answer without saying it was done.")
