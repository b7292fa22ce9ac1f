"""``manage.py demos_db_fingerprint``: one line per model, to prove two databases hold the same rows.

For every installed model with rows (or every model of the given
``app_label[.ModelName]`` labels, empty ones included), the command prints the
model's label, its row count and a SHA-256 digest of its rows: every local
field's value and the sorted keys of its many-to-many relations, row by row in
primary-key order. Run it on the old database and on the new one and ``diff``
the two outputs: no difference means the same rows with the same values.

The values are normalised so that equal data gives equal digests whatever
database holds it: datetimes in UTC ISO 8601, decimals without trailing
zeros, JSON with sorted keys, bytes in hex, UUIDs as strings. A foreign key to
a model with ``natural_key()`` (users, content types, permissions) counts by
that natural key, as ``dumpdata --natural-foreign`` writes it, because
``migrate`` recreates content types and permissions under new primary keys.
Rows are taken in primary-key order when the key is a number or a UUID, which
every database sorts alike, and are sorted in Python otherwise (SQLite and
PostgreSQL collate text differently).

``--exclude`` (``-e``) leaves out an app or one model, as ``dumpdata -e`` does;
``--database`` names the database to read. See
docs/howto/move-to-postgresql.rst.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
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
    """One model's line of output: ``None`` rows when its table does not exist."""

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
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value // dt.timedelta(microseconds=1)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, FieldFile):
        return value.name
    if isinstance(value, dict):
        # json.dumps(sort_keys=True) orders the keys.
        return {str(key): normalise(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(item) for item in value]
    return str(value)


def canonical_json(value: Any) -> str:
    """Serialise normalised data the same way every time: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _orders_alike_everywhere(field: models.Field[Any, Any]) -> bool:
    """Whether every database sorts this primary key the same way (numbers, UUIDs)."""
    while isinstance(field, models.ForeignObject):
        # A parent link (multi-table inheritance) sorts like the parent's key.
        field = field.target_field
    return isinstance(field, (models.IntegerField, models.UUIDField))


class _NaturalKeys:
    """Natural keys of the rows a foreign key points to, loaded once per target."""

    def __init__(self, using: str) -> None:
        self.using = using
        self._keys: dict[tuple[ModelType, str], dict[Any, Any]] = {}

    def key(self, target: models.Field[Any, Any], value: Any) -> Any:
        """Return the natural key of the row whose ``target`` field holds ``value``."""
        if value is None:
            return None
        model = target.model
        cache_key = (model, target.attname)
        if cache_key not in self._keys:
            # Natural keys often include a related row's (Permission's includes its
            # content type's): join the foreign keys rather than query per row.
            related = [
                field.name
                for field in model._meta.concrete_fields
                if field.is_relation and not field.primary_key
            ]
            rows = model._base_manager.using(self.using).all()
            if related:  # select_related() without names means "all", deprecated in 6.1
                rows = rows.select_related(*related)
            self._keys[cache_key] = {
                getattr(row, target.attname): normalise(list(row.natural_key()))  # type: ignore[attr-defined]
                for row in rows.iterator(chunk_size=2000)
            }
        # A dangling reference (possible where foreign keys were not enforced)
        # still counts, and differs from any natural key.
        return self._keys[cache_key].get(value, {"missing": normalise(value)})


def _has_natural_key(model: ModelType) -> bool:
    return hasattr(model, "natural_key")


def _through(field: models.ManyToManyField[Any, Any]) -> ModelType:
    through = field.remote_field.through
    # Resolved to a class once the app registry is ready.
    assert through is not None and not isinstance(through, str)
    return through


class _RowEncoder:
    """Turns one model's rows into canonical JSON lines."""

    def __init__(self, model: ModelType, using: str, natural_keys: _NaturalKeys) -> None:
        self.model = model
        self.using = using
        self.natural_keys = natural_keys
        self.fields = list(model._meta.local_concrete_fields)
        self.many_to_many = {
            field.name: self._many_to_many_keys(field)
            for field in model._meta.local_many_to_many
            # A custom through model is a model of its own, with its own line.
            if _through(field)._meta.auto_created
        }

    def _field_value(self, field: models.Field[Any, Any], row: models.Model) -> Any:
        value = getattr(row, field.attname)
        if isinstance(field, models.ForeignObject) and not field.primary_key:
            return self._related_key(field, value)
        return normalise(value)

    def _related_key(self, field: models.ForeignObject[Any, Any], value: Any) -> Any:
        """A foreign key's value, by natural key where the target model has one."""
        target = field.target_field
        if _has_natural_key(target.model):
            return self.natural_keys.key(target, value)
        return normalise(value)

    def _many_to_many_keys(self, field: models.ManyToManyField[Any, Any]) -> dict[Any, list[Any]]:
        """Return, by source row, the sorted keys of the related rows (one query)."""
        through = _through(field)
        source = through._meta.get_field(field.m2m_field_name())
        target = through._meta.get_field(field.m2m_reverse_field_name())
        assert isinstance(source, models.ForeignKey) and isinstance(target, models.ForeignKey)
        pairs = through._base_manager.using(self.using).values_list(source.attname, target.attname)
        related: dict[Any, list[Any]] = defaultdict(list)
        for source_value, target_value in pairs.iterator(chunk_size=2000):
            related[source_value].append(self._related_key(target, target_value))
        return {
            source_value: sorted(keys, key=canonical_json) for source_value, keys in related.items()
        }

    def encode(self, row: models.Model) -> str:
        record = {field.name: self._field_value(field, row) for field in self.fields}
        for name, keys in self.many_to_many.items():
            # The through table's foreign key points at the source's primary key.
            record[name] = keys.get(row.pk, [])
        return canonical_json(record)

    def lines(self) -> Iterator[str]:
        """Yield one line per row, in an order every database agrees on."""
        pk = self.model._meta.pk
        assert pk is not None
        rows = self.model._base_manager.using(self.using).order_by("pk")
        if _orders_alike_everywhere(pk):
            for row in rows.iterator(chunk_size=2000):
                yield self.encode(row)
            return
        keyed = [
            (canonical_json(normalise(row.pk)), self.encode(row))
            for row in rows.iterator(chunk_size=2000)
        ]
        keyed.sort()
        yield from (line for _, line in keyed)


def fingerprint_model(
    model: ModelType, using: str = DEFAULT_DB_ALIAS, natural_keys: _NaturalKeys | None = None
) -> ModelFingerprint:
    """Count and digest ``model``'s rows in the database ``using``."""
    digest = hashlib.sha256()
    count = 0
    encoder = _RowEncoder(model, using, natural_keys or _NaturalKeys(using))
    for line in encoder.lines():
        digest.update(line.encode())
        digest.update(b"\n")
        count += 1
    return ModelFingerprint(model._meta.label, count, digest.hexdigest())


def _resolve(label: str) -> tuple[str, ModelType | None]:
    """Parse ``app_label`` or ``app_label.ModelName`` (model names in any case)."""
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
    """Return the models to fingerprint, sorted by label.

    With no ``labels``, every installed model; otherwise the models of those
    apps or the named models. ``exclude`` takes the same labels. As in
    ``dumpdata``, proxy models and models the routers keep off ``using``
    (unmanaged ones among them) are left out.
    """
    excluded_apps: set[str] = set()
    excluded_models: set[ModelType] = set()
    for label in exclude:
        app_label, model = _resolve(label)
        if model is None:
            excluded_apps.add(app_label)
        else:
            excluded_models.add(model)

    chosen: set[ModelType] = set()
    for label in labels:
        app_label, model = _resolve(label)
        chosen.update([model] if model else apps.get_app_config(app_label).get_models())
    candidates = chosen if labels else set(apps.get_models())

    return sorted(
        (
            model
            for model in candidates
            if not model._meta.proxy
            and model._meta.app_label not in excluded_apps
            and model not in excluded_models
            and router.allow_migrate_model(using, model)
        ),
        key=lambda model: model._meta.label,
    )


def fingerprint(
    labels: Iterable[str] = (), exclude: Iterable[str] = (), using: str = DEFAULT_DB_ALIAS
) -> list[ModelFingerprint]:
    """Fingerprint the selected models (see :func:`select_models`) of ``using``.

    With no ``labels``, models without rows or without a table are left out;
    with labels, every selected model has a line.
    """
    labels = list(labels)
    existing = set(connections[using].introspection.table_names())
    natural_keys = _NaturalKeys(using)
    results = []
    for model in select_models(labels, exclude, using):
        if model._meta.db_table not in existing:
            if labels:
                results.append(ModelFingerprint(model._meta.label, None, ""))
            continue
        result = fingerprint_model(model, using, natural_keys)
        if result.rows or labels:
            results.append(result)
    return results


class Command(BaseCommand):
    help = (
        "Print each model's row count and a digest of its rows, normalised to be the same on "
        "every database: diff two runs to prove a copy."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            # Named "args", as in dumpdata: Django passes these to handle() as *args.
            "args",
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
