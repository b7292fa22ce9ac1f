"""The streaming room: a chat whose answers stream token by token over server-sent events.

An async view relays a model's tokens (built-in or Ollama) to htmx's SSE extension, escaped,
and stores each conversation; the final answer is rendered as sanitized Markdown.
"""
