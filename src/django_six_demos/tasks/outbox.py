"""Where the acceptance emails went: the default mailer, and the messages it kept.

Django's file-based backend appends each connection's messages to a ``.log`` file,
one after another, each followed by a line of dashes; the ``email`` package reads them back.
"""

from __future__ import annotations

import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone as dt_timezone
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Final

from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends import console, dummy, filebased, locmem, smtp

from django_six_demos import compat

FILE_BACKEND: Final = "django.core.mail.backends.filebased.EmailBackend"
MAX_LISTED: Final = 20  # messages on the page, newest first
MAX_FILES: Final = 50  # the newest .log files read for them
MAX_FILE_BYTES: Final = 1_000_000  # read from each file, at most
MAX_BODY_CHARS: Final = 4000  # of a message's text shown

# filebased.EmailBackend.write_message() ends every message with 79 dashes and a newline.
_SEPARATOR = re.compile(rb"^-{79}\r?\n", re.MULTILINE)
_PARSER = BytesParser(policy=email.policy.default)

# Most specific first: the file-based backend is a console backend writing to files.
_WHERE: Final = (
    (filebased.EmailBackend, "files: Django's file-based backend keeps them, a .log per batch"),
    (console.EmailBackend, "console: printed by the worker, in the terminal it runs in"),
    (smtp.EmailBackend, "SMTP: sent to your mail server"),
    (locmem.EmailBackend, "memory: kept in the sending process's mail.outbox, gone when it exits"),
    (dummy.EmailBackend, "dummy: thrown away"),
)


@dataclass(frozen=True)
class Mailer:
    """The default mailer: its backend, where it sends, and the directory to list (file-based)."""

    backend: str
    where: str
    file_path: Path | None = None


@dataclass(frozen=True)
class SentEmail:
    """One message read back from the file-based backend's directory."""

    to: tuple[str, ...]
    subject: str
    sent_at: datetime
    body: str


def default_mailer() -> Mailer:
    """Describe the mailer the worker sends through (the same settings as the page)."""
    try:
        connection = compat.mail_connection()
    except (ImproperlyConfigured, ImportError) as error:  # 6.1's InvalidMailer included
        # A misconfigured mailer is described on the page, not a 500.
        return Mailer(backend="not configured", where=f"nowhere: {error}")
    backend = f"{type(connection).__module__}.{type(connection).__qualname__}"
    file_path = (
        Path(connection.file_path) if isinstance(connection, filebased.EmailBackend) else None
    )
    for cls, where in _WHERE:
        if isinstance(connection, cls):
            return Mailer(backend, where, file_path)
    return Mailer(backend, f"sent by {backend}")


def split_log(data: bytes) -> list[bytes]:
    """Split a file-based backend's ``.log`` file into its messages."""
    return [chunk for chunk in _SEPARATOR.split(data) if chunk.strip()]


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset, a broken encoding
        return ""
    # The newlines the generator and write_message() add are not the author's.
    return content.rstrip("\r\n")[:MAX_BODY_CHARS] if isinstance(content, str) else ""


def _sent_at(message: EmailMessage, fallback: datetime) -> datetime:
    header = message["Date"]
    when = getattr(header, "datetime", None) if header is not None else None
    if not isinstance(when, datetime) or when.tzinfo is None:
        return fallback
    return when


def parse_message(raw: bytes, *, fallback_time: datetime) -> SentEmail:
    """Read one message: its recipients, subject, Date (else ``fallback_time``) and text."""
    message = _PARSER.parsebytes(raw)
    assert isinstance(message, EmailMessage)  # policy.default's message class
    to = message["To"]
    addresses = getattr(to, "addresses", ())
    return SentEmail(
        to=tuple(address.addr_spec for address in addresses) or ((str(to),) if to else ()),
        subject=str(message["Subject"] or ""),
        sent_at=_sent_at(message, fallback_time),
        body=_text(message),
    )


def _log_files(directory: Path) -> list[tuple[float, Path]]:
    try:
        paths = [p for p in directory.iterdir() if p.suffix == ".log" and p.is_file()]
    except OSError:  # missing, not a directory, unreadable
        return []
    files = []
    for path in paths:
        try:
            files.append((path.stat().st_mtime, path))
        except OSError:  # removed meanwhile
            continue
    return sorted(files, reverse=True)[:MAX_FILES]


def _read(path: Path) -> list[bytes]:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError:
        return []
    chunks = split_log(data[:MAX_FILE_BYTES])
    if len(data) > MAX_FILE_BYTES and chunks:
        chunks.pop()  # cut off: the last message is incomplete
    return chunks


def sent_emails(
    directory: Path, *, limit: int = MAX_LISTED, addressed_to: str | None = None
) -> list[SentEmail]:
    """The newest ``limit`` messages in ``directory``, most recent first (none if it is missing).

    ``addressed_to``: only the messages with that recipient.
    """
    found: list[tuple[datetime, float, int, SentEmail]] = []
    for mtime, path in _log_files(directory):
        modified = datetime.fromtimestamp(mtime, tz=dt_timezone.utc)
        for index, raw in enumerate(_read(path)):
            sent = parse_message(raw, fallback_time=modified)
            if addressed_to is None or addressed_to.lower() in (a.lower() for a in sent.to):
                found.append((sent.sent_at, mtime, index, sent))
    # Date has whole seconds: a file's order breaks the ties within one batch.
    found.sort(key=lambda row: row[:3], reverse=True)
    return [row[3] for row in found[:limit]]
