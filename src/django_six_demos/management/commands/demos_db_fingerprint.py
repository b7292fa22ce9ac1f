"""``manage.py demos_db_fingerprint``: one line per model, to prove two databases hold the same rows.

Each line is a model's label, row count and a SHA-256 of its rows, normalised to be equal on every
database (foreign keys by natural key where there is one). See docs/howto/move-to-postgresql.rst.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.models.fields.files import FieldFile

ModelType = type[models.Model]


@dataclass(frozen=True, slots=True)
class ModelFingerprint:
    """One model's line of output; ``rows`` is None when its table does not exist."""

    label: str
    rows: int | None
    digest: str

    def __str__(self) -> str:
        if self.rows is None:
            return f"{self.label} - no table"
        return f"{self.label} {self.rows} {self.digest}"


def normalise(value: Any) -> Any:
    """Return ``value`` as JSON-serialisable data that is the same on every database."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, decimal.Decimal):
        # 1.50 and 1.5 are the same number; format "f" avoids 1E+2 for 100.
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc)
    if isinstance(value, (dt.date, dt.time)):  # datetimes too
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value // dt.timedelta(microseconds=1)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, FieldFile):
        return value.name
    if isinstance(value, dict):
        # json.dumps(sort_keys=True) orders the keys.
        return {str(key): normalise(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(item) for item in value]
    return str(value)  # UUIDs among others


def canonical_json(value: Any) -> str:
    """Serialise normalised data the same way every time."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _orders_alike_everywhere(field: models.Field[Any, Any]) -> bool:
    """Whether every database sorts this primary key the same way (numbers, UUIDs)."""
    while isinstance(field, models.ForeignObject):  # a parent link sorts like the parent's key
        field = field.target_field
    return isinstance(field, (models.IntegerField, models.UUIDField))


def _through(field: models.ManyToManyField[Any, Any]) -> ModelType:
    through = field.remote_field.through
    assert through is not None and not isinstance(through, str)  # resolved once apps are ready
    return through


class _Reader:
    """One database's rows as canonical JSON lines; natural keys loaded once per target field."""

    def __init__(self, using: str) -> None:
        self.using = using
        self._keys: dict[tuple[ModelType, str], dict[Any, Any]] = {}

    def _related_key(self, field: models.ForeignObject[Any, Any], value: Any) -> Any:
        target = field.target_field
        model = target.model
        if value is None or not hasattr(model, "natural_key"):
            return normalise(value)
        if (model, target.attname) not in self._keys:
            # Natural keys often include a related row's (Permission's): join, not a query per row.
            related = [
                f.name for f in model._meta.concrete_fields if f.is_relation and not f.primary_key
            ]
            rows = model._base_manager.using(self.using).all()
            if related:  # select_related() without names means "all", deprecated in 6.1
                rows = rows.select_related(*related)
            self._keys[model, target.attname] = {
                getattr(row, target.attname): normalise(list(row.natural_key()))
                for row in rows.iterator(chunk_size=2000)
            }
        # A dangling reference (foreign keys not enforced) counts, unlike any natural key.
        return self._keys[model, target.attname].get(value, {"missing": normalise(value)})

    def _many_to_many(self, field: models.ManyToManyField[Any, Any]) -> dict[Any, list[Any]]:
        through = _through(field)
        source = through._meta.get_field(field.m2m_field_name())
        target = through._meta.get_field(field.m2m_reverse_field_name())
        assert isinstance(source, models.ForeignKey) and isinstance(target, models.ForeignKey)
        pairs = through._base_manager.using(self.using).values_list(source.attname, target.attname)
        related: dict[Any, list[Any]] = defaultdict(list)
        for source_value, target_value in pairs.iterator(chunk_size=2000):
            related[source_value].append(self._related_key(target, target_value))
        return {value: sorted(keys, key=canonical_json) for value, keys in related.items()}

    def lines(self, model: ModelType) -> Iterator[str]:
        """One line per row, in an order every database agrees on (text keys sorted here)."""
        many_to_many = {
            field.name: self._many_to_many(field)
            for field in model._meta.local_many_to_many
            # A custom through model is a model of its own, with its own line.
            if _through(field)._meta.auto_created
        }

        def encode(row: models.Model) -> str:
            record = {
                field.name: self._related_key(field, getattr(row, field.attname))
                if isinstance(field, models.ForeignObject) and not field.primary_key
                else normalise(getattr(row, field.attname))
                for field in model._meta.local_concrete_fields
            }
            record.update({name: keys.get(row.pk, []) for name, keys in many_to_many.items()})
            return canonical_json(record)

        rows = model._base_manager.using(self.using).order_by("pk").iterator(chunk_size=2000)
        assert model._meta.pk is not None
        if _orders_alike_everywhere(model._meta.pk):
            yield from map(encode, rows)
        else:
            keyed = sorted((canonical_json(normalise(row.pk)), encode(row)) for row in rows)
            yield from (line for _, line in keyed)

    def fingerprint(self, model: ModelType) -> ModelFingerprint:
        """Count and digest ``model``'s rows."""
        digest, count = hashlib.sha256(), 0
        for line in self.lines(model):
            digest.update(f"{line}\n".encode())
            count += 1
        return ModelFingerprint(model._meta.label, count, digest.hexdigest())


def _resolve(label: str) -> tuple[str, ModelType | None]:
    """Parse ``app_label`` or ``app_label.ModelName``."""
    app_label, _, model_name = label.partition(".")
    try:
        app_config = apps.get_app_config(app_label)
    except LookupError as error:
        raise CommandError(f"Unknown app label {app_label!r}: {error}") from None
    if not model_name:
        return app_config.label, None
    try:
        return app_config.label, app_config.get_model(model_name)
    except LookupError:
        raise CommandError(f"Unknown model {label!r}.") from None


def select_models(
    labels: Iterable[str] = (), exclude: Iterable[str] = (), using: str = DEFAULT_DB_ALIAS
) -> list[ModelType]:
    """The models of ``labels`` (default: all) but ``exclude``, as ``dumpdata`` picks them."""
    excluded = [_resolve(label) for label in exclude]
    excluded_apps = {app_label for app_label, model in excluded if model is None}
    chosen: set[ModelType] = set()
    for label in labels:
        app_label, model = _resolve(label)
        chosen.update([model] if model else apps.get_app_config(app_label).get_models())
    candidates = (chosen if labels else set(apps.get_models())) - {model for _, model in excluded}
    kept = [m for m in candidates if not m._meta.proxy and m._meta.app_label not in excluded_apps]
    kept = [model for model in kept if router.allow_migrate_model(using, model)]
    return sorted(kept, key=lambda model: model._meta.label)


def fingerprint(
    labels: Iterable[str] = (), exclude: Iterable[str] = (), using: str = DEFAULT_DB_ALIAS
) -> list[ModelFingerprint]:
    """Fingerprint the selected models of ``using``; without ``labels``, only those with rows."""
    labels = list(labels)
    existing = set(connections[using].introspection.table_names())
    reader, results = _Reader(using), []
    for model in select_models(labels, exclude, using):
        if model._meta.db_table in existing:
            results.append(reader.fingerprint(model))
        else:
            results.append(ModelFingerprint(model._meta.label, None, ""))
    return results if labels else [result for result in results if result.rows]


class Command(BaseCommand):
    help = (
        "Print each model's row count and a digest of its rows, normalised to be the same on "
        "every database: diff two runs to prove a copy."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "args",  # as in dumpdata: Django passes these to handle() as *args
            nargs="*",
            metavar="app_label[.ModelName]",
            help="Only these apps or models, empty ones included (default: every model with rows).",
        )
        parser.add_argument(
            "-e",
            "--exclude",
            action="append",
            default=[],
            metavar="app_label[.ModelName]",
            help="Leave out an app or a model; repeat for more (as dumpdata -e).",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="The database to read (default: 'default').",
        )

    def handle(
        self, *labels: str, exclude: list[str], database: str, verbosity: int, **options: Any
    ) -> None:
        if database not in connections:
            raise CommandError(f"No database {database!r} in DATABASES.")
        results = fingerprint(labels, exclude, database)
        for result in results:
            self.stdout.write(str(result))
        if verbosity >= 1 and not results:
            # stderr: stdout stays empty, and equal for two empty databases.
            self.stderr.write("No rows in the selected models.")
