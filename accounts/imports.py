"""CSV import of accounts, contacts, orders and invoices (issue 8): ``manage.py import_csv``, the import page,
``POST /api/v1/imports/``.

One file, one transaction, all or nothing (STYLE rule 5: a handful of statements whatever the size):

1. the header names the columns: the model's writable fields by name, plus the reference by its natural key —
   ``account_external_id`` (contacts, orders, invoices) and ``owner_username`` (accounts: the owner's
   username, the one thing both an ERP and a director know about a user). Unknown, repeated or missing
   required columns refuse the file before any row is read;
2. the file is streamed with ``COPY … FROM STDIN (FORMAT csv, HEADER true)`` into a TEMP table of text columns
   numbered by line; a malformed file (a row with too many or too few values, an unclosed quote, bytes that
   are not UTF-8) is refused with the line PostgreSQL stopped at;
3. one ``CREATE TEMP TABLE … AS SELECT`` checks every value set-based — required, type (regular expressions and
   ``pg_input_is_valid`` before any cast), length, choices, the fields' validators, references that do not
   resolve — and casts the valid ones; the model's check constraints are then evaluated over the typed values
   (compiled from the model by Django, as the database declares them, each blamed on its field as
   ``kam.constraints`` does) and a key repeated within the file is an error on its later lines;
4. any error and nothing is written: the report lists ``(line, field, message)`` — the first ``ERRORS_KEPT``,
   plus the total. Otherwise one ``INSERT … SELECT … ON CONFLICT … DO UPDATE … WHERE (row) IS DISTINCT FROM
   (excluded)`` writes the file: rows whose values did not change are not touched (their ``updated_at`` stays).

Rules a user should know (also in the README):

- An empty cell is "no value": the field's default (or NULL) — on update too. A column left out of the file
  is left as it is on update and takes its default on insert, so a file of ``external_id,credit_limit``
  updates credit limits only.
- Values are trimmed; dates are ISO (``YYYY-MM-DD``); decimals use a point; booleans are true/false, 1/0,
  yes/no; a country code is upper-cased.
- The upsert key is ``external_id`` for accounts, orders and invoices; contacts have no external id, so a
  contact is keyed by its account and its e-mail address (the model's unique constraint), and the e-mail is
  required.
- ``line`` is the line of the file, the header being line 1 (a quoted value spanning lines counts as one).
- Who: directors and integrations (``can_import``); account managers do not import. Only a director assigns
  an owner (an integration's file may name the owner an account already has). ``actor=None`` is the
  operator of ``manage.py import_csv``, who may do anything.
- After orders or invoices are written, the ladder of every account whose evidence changed (and of those an
  order or invoice moved away from) is re-evaluated once the transaction commits, as after a bulk upsert.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, cast

import psycopg
from django.contrib.auth import get_user_model
from django.core import validators
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, models, transaction
from django.db.models import CheckConstraint, Q
from django.db.models.sql.query import Query
from django.http import Http404
from django.utils import timezone

from accounts.choices import ImportJobStatus, ImportKind
from accounts.models import Account, Contact, ImportJob, Invoice, Order
from accounts.services import ACCOUNT_EDITABLE_FIELDS, CONTACT_EDITABLE_FIELDS, INVOICE_FIELDS, ORDER_FIELDS
from audit.actor import acting_as
from kam.constraints import constraint_fields, field_for_constraint
from kam.progress_writes import ProgressWriter
from kam.queue import enqueue_on_commit
from kam.roles import ACCOUNT_MANAGER, KAM_DIRECTOR, is_director, is_integration
from kam.work_ownership import IMPORT_JOB, session_notice_dead_client, work_owned
from relationships.tasks import ladder_evaluate_on_commit

logger = logging.getLogger(__name__)

ERRORS_KEPT = 1000
CHUNK_BYTES = 1 << 20  # bytes per write to the COPY stream
HEADER_MAX_BYTES = 64 * 1024
SHOWN_VALUE_CHARS = 40  # a value quoted in a message is cut to this
# The import's sorts and hashes (the key's duplicates, the ordered upsert) over a million rows stay in memory.
WORK_MEM = "128MB"
BOM = b"\xef\xbb\xbf"
# A second delivery of an import's message waits this long for a live worker to finish the job, then leaves it.
IMPORT_OWNER_WAIT_SECONDS = 30 * 60

STAGING, ROWS, ERRORS = "kam_import_staging", "kam_import_rows", "kam_import_errors"

# progress(phase, done, total): phase "reading" counts bytes of the file (total None when unknown), then
# "validating" and "writing" (done = rows).
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class RowError:
    """One thing wrong with the file: its line (1 is the header), the column at fault ("" for the whole row or
    file) and what is wrong."""

    line: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "message": self.message}


@dataclass
class ImportResult:
    """What an import did. ``errors`` holds the first ``ERRORS_KEPT`` errors, ``error_count`` all of them; with
    any error nothing was written (and the counts of writes are 0). ``updated`` counts the existing records whose
    values changed, ``unchanged`` those that already held the file's values (left alone)."""

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error_count == 0


class _FileInvalid(Exception):
    """The file cannot be read as this kind's CSV; raised inside the transaction so that it rolls back."""

    def __init__(self, *errors: RowError) -> None:
        super().__init__(errors[0].message if errors else "invalid file")
        self.errors = list(errors)


def can_import(user: Any) -> bool:
    """Imports write commercial records and accounts on every account: directors and integrations (the ERP), as
    bulk writes; account managers never. ``None`` is the operator of the management command."""
    return user is None or is_director(user) or is_integration(user)


# --- what each kind's file holds --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reference:
    """A column naming another record by its natural key; it fills the model's foreign key."""

    column: str
    fk: str  # the model's ForeignKey field


@dataclass(frozen=True)
class _Kind:
    name: str
    model: type[models.Model]
    fields: frozenset[str]  # the model's fields, each read from the column of the same name
    reference: _Reference
    key: tuple[str, ...]  # the columns that identify a record (the upsert key)
    conflict: str  # the ON CONFLICT target: the unique index on the key (with its predicate)
    required: frozenset[str]  # columns that must be in the header and filled on every row
    ladder: bool  # evidence of the loyalty ladder


ACCOUNT_REFERENCE = _Reference("account_external_id", "account")
KINDS: dict[str, _Kind] = {
    ImportKind.ACCOUNTS: _Kind(
        ImportKind.ACCOUNTS,
        Account,
        ACCOUNT_EDITABLE_FIELDS - {"owner"},
        _Reference("owner_username", "owner"),
        ("external_id",),
        '("external_id") WHERE "external_id" IS NOT NULL',
        frozenset({"external_id", "name"}),
        ladder=False,
    ),
    ImportKind.CONTACTS: _Kind(
        ImportKind.CONTACTS,
        Contact,
        CONTACT_EDITABLE_FIELDS,
        ACCOUNT_REFERENCE,
        ("account_external_id", "email"),
        '(LOWER("email"), "account_id") WHERE NOT ("email" = \'\')',
        frozenset({"account_external_id", "email", "name"}),
        ladder=False,
    ),
    ImportKind.ORDERS: _Kind(
        ImportKind.ORDERS,
        Order,
        ORDER_FIELDS,
        ACCOUNT_REFERENCE,
        ("external_id",),
        '("external_id") WHERE "external_id" IS NOT NULL',
        frozenset({"account_external_id", "external_id", "order_date", "net_amount"}),
        ladder=True,
    ),
    ImportKind.INVOICES: _Kind(
        ImportKind.INVOICES,
        Invoice,
        INVOICE_FIELDS,
        ACCOUNT_REFERENCE,
        ("external_id",),
        '("external_id") WHERE "external_id" IS NOT NULL',
        frozenset({"account_external_id", "external_id", "number", "issue_date", "due_date", "amount"}),
        ladder=True,
    ),
}


def import_columns(kind: str) -> list[str]:
    """The columns a file of this kind may have, required ones first (the order of the README's table)."""
    spec = KINDS[kind]
    names = [spec.reference.column, *sorted(spec.fields)]
    return sorted(names, key=lambda name: (name not in spec.required, names.index(name)))


def import_required_columns(kind: str) -> list[str]:
    return [name for name in import_columns(kind) if name in KINDS[kind].required]


# --- SQL building blocks ------------------------------------------------------------------------------------


def _q(name: str | None) -> str:
    return connection.ops.quote_name(str(name))


def _literal(value: Any) -> str:
    """A value as an SQL literal (psycopg's quoting); used for the model's own constants and our messages."""
    ops: Any = connection.ops  # PostgreSQL's: compose_sql is psycopg's mogrify
    return ops.compose_sql("%s", [value])


def _shown(raw: str) -> str:
    """SQL for a raw value quoted in a message, cut to a readable length."""
    return f"'“' || left({raw}, {SHOWN_VALUE_CHARS}) || '”'"


def _model_field(spec: _Kind, name: str) -> models.Field:
    return cast(models.Field, spec.model._meta.get_field(name))


DECIMAL_RE = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
INTEGER_RE = r"^[+-]?[0-9]{1,18}$"
DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Close to Django's EmailValidator for what ERPs export; the exotic rest (quoted local parts, IP literals) is
# refused here and can be typed in the page.
EMAIL_RE = r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")


def _in_list(words: tuple[str, ...] | list[str]) -> str:
    return ", ".join(_literal(word) for word in words)


def _field_checks(model_field: models.Field, raw: str) -> tuple[list[tuple[str, str]], str]:
    """(condition → message) pairs that find a present value wrong, in order, and the SQL of the valid value
    cast to the column's type. Conditions after the first may assume the earlier ones were false."""
    checks: list[tuple[str, str]] = []
    db_type = model_field.db_type(connection)
    value = raw
    if isinstance(model_field, models.DecimalField):
        checks.append((f"{raw} !~ {_literal(DECIMAL_RE)}", f"{_shown(raw)} || ' is not a decimal number.'"))
        value = f"{raw}::numeric"
        places = model_field.decimal_places
        digits = model_field.max_digits - places
        checks.append(
            (f"scale({value}) > {places}", _literal(f"Ensure that there are no more than {places} decimal places."))
        )
        checks.append(
            (
                f"abs({value}) >= 1e{digits}",
                _literal(f"Ensure that there are no more than {digits} digits before the decimal point."),
            )
        )
    elif isinstance(model_field, models.DateField):
        checks.append(
            (
                f"NOT ({raw} ~ {_literal(DATE_RE)} AND pg_input_is_valid({raw}, 'date'))",
                f"{_shown(raw)} || ' is not a date (YYYY-MM-DD).'",
            )
        )
        value = f"{raw}::date"
    elif isinstance(model_field, models.BooleanField):
        checks.append(
            (
                f"lower({raw}) NOT IN ({_in_list(TRUE_WORDS + FALSE_WORDS)})",
                f"{_shown(raw)} || ' is not true or false.'",
            )
        )
        value = f"(lower({raw}) IN ({_in_list(TRUE_WORDS)}))"
    elif isinstance(model_field, models.IntegerField):
        checks.append((f"{raw} !~ {_literal(INTEGER_RE)}", f"{_shown(raw)} || ' is not a whole number.'"))
        value = f"{raw}::bigint"
    elif isinstance(model_field, models.CharField):
        if model_field.choices:
            codes = [str(code) for code, _label in model_field.flatchoices]
            checks.append(
                (f"{raw} NOT IN ({_in_list(codes)})", f"{_shown(raw)} || ' is not one of: {', '.join(codes)}.'")
            )
        if isinstance(model_field, models.EmailField):
            checks.append((f"{raw} !~ {_literal(EMAIL_RE)}", _literal("Enter a valid email address.")))
    else:  # pragma: no cover — a new field type needs its parsing here
        raise TypeError(f"no CSV parsing for {type(model_field).__name__}")
    for validator in model_field.validators:
        if isinstance(validator, validators.MaxLengthValidator):
            limit = validator.limit_value
            checks.append(
                (
                    f"length({value}) > {limit}",
                    f"'Ensure this value has at most {limit} characters (it has ' || length({value}) || ').'",
                )
            )
        elif isinstance(validator, validators.MinValueValidator | validators.MaxValueValidator):
            operator = "<" if isinstance(validator, validators.MinValueValidator) else ">"
            message = str(validator.message) % {"limit_value": validator.limit_value}
            checks.append((f"{value} {operator} {_literal(validator.limit_value)}", _literal(message)))
        elif isinstance(validator, validators.RegexValidator) and not isinstance(validator, validators.EmailValidator):
            operator = "~" if validator.inverse_match else "!~"
            checks.append(
                (
                    f"{value} {operator} {_literal(re.compile(validator.regex).pattern)}",
                    _literal(str(validator.message)),
                )
            )
        elif not isinstance(
            validator,
            validators.EmailValidator | validators.DecimalValidator | validators.ProhibitNullCharactersValidator,
        ):  # pragma: no cover — a new validator needs its SQL here (NUL bytes never pass COPY's UTF-8 check)
            raise TypeError(f"no SQL for {type(validator).__name__} of {model_field.name}")
    return checks, f"{value}::{db_type}" if value != raw else f"{raw}::{db_type}"


def _check_sql(model: type[models.Model], condition: Q) -> str:
    """A check constraint's condition as the database declares it: over unqualified column names."""
    query = Query(model=model, alias_cols=False)
    where = query.build_where(condition)
    sql, params = where.as_sql(query.get_compiler(connection=connection), connection)
    ops: Any = connection.ops
    return ops.compose_sql(sql, params)


@functools.cache
def _constraints(spec: _Kind) -> list[tuple[str, str, list[str], str]]:
    """(SQL condition, field blamed, fields read, message) of each check constraint on fields imports write."""
    writable = spec.fields | {spec.reference.fk}
    found = []
    for constraint in spec.model._meta.constraints:
        if not isinstance(constraint, CheckConstraint) or not isinstance(constraint.condition, Q):
            continue
        names = constraint_fields(constraint)
        if not set(names) <= writable:
            continue  # about derived fields (stage, key_status), which imports never write
        blamed = field_for_constraint(constraint.name)
        field_name, message = blamed if blamed else (names[0], str(constraint.get_violation_error_message()))
        found.append((_check_sql(spec.model, constraint.condition), field_name, names, message))
    return found


def _message_column(name: str) -> str:
    return _q(f"err:{name}")


# --- the file's header --------------------------------------------------------------------------------------


def _header_line(head: bytes) -> bytes:
    end = head.find(b"\n")
    if end < 0:
        if len(head) >= HEADER_MAX_BYTES:
            raise _FileInvalid(RowError(1, "", "The first line is too long for a header row."))
        return head
    return head[:end]


def header_columns(*, kind: str, head: bytes) -> list[str]:
    """The columns the file's first line names, checked against the kind; ``head`` is the start of the file
    (at least the whole first line, or all of a shorter file). Raises ``ValidationError`` naming the problem."""
    try:
        return _header_check(KINDS[kind], head)
    except _FileInvalid as invalid:
        raise ValidationError(
            [f"Line {error.line}: {error.message}" for error in invalid.errors], code="invalid_header"
        ) from None


def _header_check(spec: _Kind, head: bytes) -> list[str]:
    head = head.removeprefix(BOM)
    line = _header_line(head)
    if not line.strip():
        raise _FileInvalid(RowError(1, "", "The file is empty: its first line must name the columns."))
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise _FileInvalid(RowError(1, "", "The header row is not UTF-8 text: save the file as CSV (UTF-8).")) from None
    try:
        cells = next(csv.reader(io.StringIO(text)))
    except (csv.Error, StopIteration):
        raise _FileInvalid(RowError(1, "", "The header row is not CSV.")) from None
    columns = [cell.strip().lower() for cell in cells]
    allowed = import_columns(spec.name)
    errors: list[RowError] = []
    unknown = [name for name in columns if name not in allowed]
    if unknown:
        errors.append(
            RowError(
                1,
                "",
                f"Unknown column(s): {', '.join(repr(name) for name in unknown)}. "
                f"A file of {spec.name} may have: {', '.join(allowed)}.",
            )
        )
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        errors.append(RowError(1, "", f"Column(s) named more than once: {', '.join(repeated)}."))
    missing = [name for name in import_required_columns(spec.name) if name not in columns]
    if missing:
        errors.append(RowError(1, "", f"Missing required column(s): {', '.join(missing)}."))
    if errors:
        raise _FileInvalid(*errors)
    return columns


# --- the import -----------------------------------------------------------------------------------------------


def import_csv(*, kind: str, file: IO[bytes], actor: Any = None, progress: Progress | None = None) -> ImportResult:
    """Import a CSV file of ``kind`` (accounts, contacts, orders, invoices), all or nothing: the result lists
    the errors (and nothing was written) or counts what was created, updated and left unchanged. See the
    module's docstring for the format and the rules. Raises ``PermissionDenied`` for those who may not import,
    ``ValueError`` for an unknown kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}: one of {', '.join(KINDS)}")
    if not can_import(actor):
        raise PermissionDenied("CSV imports are for KAM directors and integrations.")
    spec = KINDS[kind]
    say = progress or (lambda phase, done, total: None)
    started = time.monotonic()
    result = ImportResult(kind=kind)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            session_notice_dead_client()
            cursor.execute(f"SET LOCAL work_mem = {_literal(WORK_MEM)}")
            head = file.read(HEADER_MAX_BYTES)
            columns = _header_check(spec, head)
            result.rows = _stage(cursor, spec, columns, head, file, say)
            say("validating", 0, result.rows)
            moved_from = _validate(cursor, spec, columns, actor, result)
            if result.ok:
                say("writing", 0, result.rows)
                _write(cursor, spec, columns, result, moved_from)
            cursor.execute(f"DROP TABLE IF EXISTS {STAGING}, {ROWS}, {ERRORS}")
    except _FileInvalid as invalid:
        result.errors, result.error_count = invalid.errors[:ERRORS_KEPT], len(invalid.errors)
        result.rows = result.created = result.updated = result.unchanged = 0
    result.seconds = time.monotonic() - started
    return result


def _file_size(file: IO[bytes]) -> int | None:
    """The file's size in bytes (an upload knows it; a file on disk is asked), or None (a pipe)."""
    size = getattr(file, "size", None)
    if isinstance(size, int):
        return size
    try:
        position = file.tell()
        end = file.seek(0, io.SEEK_END)
        file.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return end


COPY_LINE = re.compile(r"\bline (\d+)")
COPY_MESSAGES = {
    "extra data after last expected column": "This row has more values than the header has columns.",
    "missing data for column": "This row has fewer values than the header has columns.",
    "unterminated CSV quoted field": "A quoted value opened on or before this line is never closed.",
    "invalid byte sequence": "This line is not UTF-8 text: save the file as CSV (UTF-8).",
}


def _stage(cursor: Any, spec: _Kind, columns: list[str], head: bytes, file: IO[bytes], say: Progress) -> int:
    """Stream the file into a TEMP table of text columns (plus its line number); returns the data rows."""
    total = _file_size(file)  # the whole file's, head included
    done = len(head)
    cursor.execute(f"DROP TABLE IF EXISTS {STAGING}, {ROWS}, {ERRORS}")
    names = ", ".join(_q(name) for name in columns)
    cursor.execute(
        f"CREATE TEMP TABLE {STAGING} (line bigint GENERATED ALWAYS AS IDENTITY (START WITH 2), "
        + ", ".join(f"{_q(name)} text" for name in columns)
        + ") ON COMMIT DROP"
    )
    say("reading", done, total)
    statement = f"COPY {STAGING} ({names}) FROM STDIN (FORMAT csv, HEADER true, ENCODING 'UTF8')"
    try:
        with cursor.copy(statement) as copy:
            copy.write(head.removeprefix(BOM))
            while chunk := file.read(CHUNK_BYTES):
                copy.write(chunk)
                done += len(chunk)
                say("reading", done, total)
    except psycopg.Error as error:
        raise _FileInvalid(_copy_error(error)) from None
    cursor.execute(f"ANALYZE {STAGING}")
    cursor.execute(f"SELECT count(*) FROM {STAGING}")  # noqa: S608
    return cursor.fetchone()[0]


def _copy_error(error: psycopg.Error) -> RowError:
    """COPY's complaint as a row error: the line it stopped at and what is wrong, in the user's words."""
    diag = error.diag
    primary = diag.message_primary or str(error)
    found = COPY_LINE.search(diag.context or "")
    line = int(found.group(1)) if found else 0
    message = next((ours for theirs, ours in COPY_MESSAGES.items() if primary.startswith(theirs)), None)
    return RowError(line, "", message or f"The file cannot be read as CSV: {primary}.")


def _assignable_users_sql() -> str:
    """Users who may own an account: active account managers and directors, and superusers (as
    ``accounts.services.check_assignable``)."""
    user_table = _q(get_user_model()._meta.db_table)
    return f"""
        SELECT u.id FROM {user_table} u
         WHERE u.is_active AND (u.is_superuser OR EXISTS (
               SELECT 1 FROM {_q(get_user_model().groups.through._meta.db_table)} ug
                 JOIN auth_group g ON g.id = ug.group_id
                WHERE ug.user_id = u.id AND g.name IN ({_in_list([ACCOUNT_MANAGER, KAM_DIRECTOR])})))
    """  # noqa: S608 — identifiers from the models, constants quoted


def _column_of(spec: _Kind, name: str) -> str:
    """The file's column for a model field name (the reference's column for its foreign key)."""
    return spec.reference.column if name == spec.reference.fk else name


def _key_sql(spec: _Kind) -> tuple[str, str]:
    """The upsert key over the typed rows (NULL when part of it is missing or invalid), and the column blamed
    for a repeated one."""
    if spec.name == ImportKind.CONTACTS:
        return 'CASE WHEN "account_id" IS NOT NULL THEN ("account_id", lower("email")) END', "email"
    return '"external_id"', "external_id"


def _validate(cursor: Any, spec: _Kind, columns: list[str], actor: Any, result: ImportResult) -> list[int]:
    """Type every row into a TEMP table and collect every error; returns the accounts that the orders or
    invoices written would move away from (their ladder is re-evaluated too)."""
    reference = spec.reference
    fk = cast(models.ForeignKey, spec.model._meta.get_field(reference.fk))
    target_table = _q(fk.related_model._meta.db_table)
    position = {name: index for index, name in enumerate(columns)}

    # 1. Each value trimmed (an empty one is NULL), its error or NULL, and — when valid — its typed value.
    trimmed = []
    for name in columns:
        value = f"NULLIF(btrim(s.{_q(name)}), '')"
        trimmed.append(f"{'upper(' + value + ')' if name == 'country' else value} AS {_q(name)}")
    messages: list[str] = []
    typed: list[str] = []
    for name in sorted(spec.fields):
        model_field = _model_field(spec, name)
        default_sql = f"CAST({_literal(model_field.get_default())} AS {model_field.db_type(connection)})"
        if name not in columns:
            typed.append(f"{default_sql} AS {_q(model_field.column)}")
            continue
        raw = f"v.{_q(name)}"
        checks, value = _field_checks(model_field, raw)
        missing = _literal("This field is required.") if name in spec.required else "NULL"
        cases = " ".join(f"WHEN {condition} THEN {message}" for condition, message in checks)
        messages.append(f"CASE WHEN {raw} IS NULL THEN {missing} {cases} END AS {_message_column(name)}")
        typed.append(
            f"CASE WHEN v.{_message_column(name)} IS NULL THEN COALESCE({value}, {default_sql}) END"
            f" AS {_q(model_field.column)}"
        )

    # The reference: the account by its external id (required), or the owner by username (optional).
    joins = ""
    if reference.column in columns:
        raw = f"v.{_q(reference.column)}"
        if reference.fk == "account":
            joins = f"LEFT JOIN {target_table} target ON target.external_id = {raw}"
            message = f"""CASE WHEN {raw} IS NULL THEN {_literal("This field is required.")}
                               WHEN target.id IS NULL THEN {_literal("No account has this external id.")} END"""
        else:
            username = _q(get_user_model().USERNAME_FIELD)
            joins = f"""LEFT JOIN {target_table} target ON target.{username} = {raw}
                        LEFT JOIN ({_assignable_users_sql()}) assignable ON assignable.id = target.id
                        LEFT JOIN {_q(Account._meta.db_table)} current ON current.external_id = v."external_id" """
            # Only a director assigns owners: anyone else's file may only repeat the owner an account has.
            refused = "FALSE" if actor is None or is_director(actor) else "TRUE"
            message = f"""CASE WHEN {raw} IS NOT NULL AND target.id IS NULL
                                    THEN {_literal("No user has this username.")}
                               WHEN {raw} IS NOT NULL AND assignable.id IS NULL
                                    THEN {_shown(raw)} || ' is not an active account manager or director.'
                               WHEN {refused} AND target.id IS DISTINCT FROM current.owner_id
                                    THEN {_literal("Only a KAM director can assign an account's owner.")} END"""
        messages.append(f"{message} AS {_message_column(reference.column)}")
        messages.append('target.id AS "target:id"')
        typed.append(
            f'CASE WHEN v.{_message_column(reference.column)} IS NULL THEN v."target:id" END AS {_q(fk.column)}'
        )
    else:
        typed.append(f"NULL::integer AS {_q(fk.column)}")
    checked = list(columns)  # every column of the file has an error column
    # OFFSET 0 keeps the inner query whole, so each check is computed once per value.
    cursor.execute(
        f"""CREATE TEMP TABLE {ROWS} ON COMMIT DROP AS
            SELECT v.line, {", ".join(f"v.{_message_column(name)}" for name in checked)}, {", ".join(typed)}
              FROM (SELECT v.*, {", ".join(messages)}
                      FROM (SELECT s.line, {", ".join(trimmed)} FROM {STAGING} s) v {joins}
                    OFFSET 0) v"""  # noqa: S608 — identifiers from the models and the checked header
    )
    cursor.execute(f"DROP TABLE {STAGING}")

    # 2. The errors: each column's, then each check constraint over valid values, then keys repeated.
    cursor.execute(f"CREATE TEMP TABLE {ERRORS} (line bigint, position int, field text, message text) ON COMMIT DROP")
    candidates = [(position[name], name, f"r.{_message_column(name)}") for name in checked]
    for condition, blamed, names, message in _constraints(spec):
        read = [_column_of(spec, name) for name in names]
        if not set(read) & set(columns):
            continue  # every field it reads takes its default, which the model's constraints accept
        guards = " AND ".join(f"r.{_message_column(name)} IS NULL" for name in read if name in columns)
        candidates.append(
            (
                position.get(_column_of(spec, blamed), len(columns)),
                blamed,
                f"CASE WHEN {guards} AND ({condition}) IS FALSE THEN {_literal(message)} END",
            )
        )
    # Only rows with an error are unfolded into one candidate per column (most files have none).
    values = ", ".join(f"({index}, {_literal(name)}, {sql})" for index, name, sql in candidates)
    cursor.execute(
        f"""INSERT INTO {ERRORS}
            SELECT r.line, e.position, e.field, e.message
              FROM {ROWS} r CROSS JOIN LATERAL (VALUES {values}) AS e(position, field, message)
             WHERE ({" OR ".join(f"{sql} IS NOT NULL" for _index, _name, sql in candidates)})
               AND e.message IS NOT NULL"""  # noqa: S608
    )
    key, key_field = _key_sql(spec)
    cursor.execute(
        f"""INSERT INTO {ERRORS}
            SELECT line, {position.get(key_field, 0)}, {_literal(key_field)},
                   'Appears more than once in this file (first on line ' || first_line || ').'
              FROM (SELECT line, min(line) OVER (PARTITION BY {key}) AS first_line
                      FROM {ROWS} WHERE {key} IS NOT NULL) keyed
             WHERE line > first_line"""  # noqa: S608
    )
    cursor.execute(f"SELECT count(*) FROM {ERRORS}")  # noqa: S608
    result.error_count = cursor.fetchone()[0]
    if result.error_count:
        cursor.execute(f"SELECT line, field, message FROM {ERRORS} ORDER BY line, position LIMIT {ERRORS_KEPT}")  # noqa: S608
        result.errors = [RowError(line, name, message) for line, name, message in cursor.fetchall()]
        return []
    if not spec.ladder:
        return []
    cursor.execute(
        f"""SELECT DISTINCT t.account_id FROM {ROWS} r JOIN {_q(spec.model._meta.db_table)} t
                ON t.external_id = r.external_id
             WHERE t.account_id <> r.account_id"""  # noqa: S608
    )
    return [row[0] for row in cursor.fetchall()]


def _write(cursor: Any, spec: _Kind, columns: list[str], result: ImportResult, moved_from: list[int]) -> None:
    """One INSERT … ON CONFLICT over the key's unique index, in key order (two writers sharing keys queue rather
    than deadlock, as bulk upserts do); a conflicting row is rewritten only when a value the file carries differs."""
    meta = spec.model._meta
    fk = cast(models.ForeignKey, meta.get_field(spec.reference.fk))
    own = [_model_field(spec, name) for name in sorted(spec.fields)]
    # Derived columns (an account's stage and key status) take their defaults on insert, and are never updated.
    derived = [
        model_field
        for model_field in meta.concrete_fields
        if not model_field.primary_key
        and model_field.name not in spec.fields
        and model_field.name not in (fk.name, "created_at", "updated_at")
    ]
    inserted = [_q(fk.column), *(_q(f.column) for f in own), *(_q(f.column) for f in derived)]
    values = [
        _q(fk.column),
        *(_q(f.column) for f in own),
        *(f"CAST({_literal(f.get_default())} AS {f.db_type(connection)})" for f in derived),
    ]
    key, _key_field = _key_sql(spec)
    rewritten = [_q(f.column) for f in own if f.name in columns and f.name not in ("external_id",)]
    if spec.reference.column in columns and spec.name != ImportKind.CONTACTS:
        rewritten.insert(0, _q(fk.column))
    now = f"CAST({_literal(timezone.now())} AS timestamptz)"
    sets = ", ".join(f"{name} = EXCLUDED.{name}" for name in rewritten)
    current = ", ".join(f"t.{name}" for name in rewritten)
    proposed = ", ".join(f"EXCLUDED.{name}" for name in rewritten)
    sql = f"""
        WITH upserted AS (
            INSERT INTO {_q(meta.db_table)} AS t ({", ".join(inserted)}, "created_at", "updated_at")
            SELECT {", ".join(values)}, {now}, {now} FROM {ROWS} ORDER BY {key}
            ON CONFLICT {spec.conflict}
            DO UPDATE SET {sets}, "updated_at" = EXCLUDED."updated_at"
            WHERE ROW({current}) IS DISTINCT FROM ROW({proposed})
            RETURNING (t.xmax = 0) AS inserted, t.{_q(fk.column)} AS reference
        )
        SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
               array_agg(DISTINCT reference) FILTER (WHERE reference IS NOT NULL)
          FROM upserted
    """  # noqa: S608 — identifiers from the model
    try:
        with transaction.atomic():
            cursor.execute(sql)
    except DatabaseError as error:
        # The checks above mirror the model; what they cannot see (a value of a column the file leaves out, on
        # an existing row) the database still refuses: as a file error, never a crash.
        raise _FileInvalid(_database_error(error)) from None
    created, updated, references = cursor.fetchone()
    result.created, result.updated = created, updated
    result.unchanged = result.rows - created - updated
    if spec.ladder:
        ladder_evaluate_on_commit([*(references or []), *moved_from])


def _database_error(error: DatabaseError) -> RowError:
    cause = error.__cause__
    diag = getattr(cause, "diag", None)
    name = getattr(diag, "constraint_name", None)
    found = field_for_constraint(name) if name else None
    if found:
        field_name, message = found
        return RowError(0, field_name, f"{message} (an existing record would break this rule with the file's values)")
    return RowError(0, "", f"The database refused the file: {getattr(diag, 'message_primary', None) or error}.")


# --- import jobs: a file uploaded on the page or through the API, imported by a worker ----------------------

IMPORT_MAX_BYTES = 256 * 1024 * 1024
PROGRESS_EVERY_SECONDS = 0.5


def import_jobs_visible_to(user: Any) -> models.QuerySet[ImportJob]:
    """Directors see every import; an integration its own; anyone else none. The file's bytes are not read."""
    jobs = ImportJob.objects.defer("data").select_related("requested_by")
    if is_director(user):
        return jobs
    if is_integration(user):
        return jobs.filter(requested_by=user)
    return jobs.none()


def import_job_get(*, user: Any, pk: Any) -> ImportJob:
    """The job, if the user may see it; anything else is a 404."""
    try:
        return import_jobs_visible_to(user).get(pk=int(pk))
    except (ImportJob.DoesNotExist, TypeError, ValueError, OverflowError):
        raise Http404("No such import.") from None


def import_job_create(*, actor: Any, kind: str, file: IO[bytes], file_name: str) -> ImportJob:
    """Keep an uploaded file for a worker to import (after this transaction commits). The header is checked
    now, so a file that names the wrong columns is refused at once (``ValidationError`` on ``file``)."""
    from accounts.tasks import import_job_execute_task

    if actor is None or not can_import(actor):
        raise PermissionDenied("CSV imports are for KAM directors and integrations.")
    if kind not in KINDS:
        raise ValidationError({"kind": [f"Choose one of: {', '.join(KINDS)}."]})
    head = file.read(HEADER_MAX_BYTES)
    try:
        header_columns(kind=kind, head=head)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from None
    data = head + file.read(IMPORT_MAX_BYTES + 1 - len(head))
    if len(data) > IMPORT_MAX_BYTES:
        raise ValidationError({"file": [f"The file is larger than {IMPORT_MAX_BYTES // (1024 * 1024)} MB."]})
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind, file_name=file_name[:255], file_size=len(data), data=data, requested_by=actor
        )
        enqueue_on_commit(import_job_execute_task, job.pk)  # the queue is down: QueueUnavailable rolls it back
    return job


class _JobProgress:
    """Writes a running job's phase and progress (``kam.progress_writes``): the import's transaction holds the
    main connection (mid-COPY, at that), and the page must see the progress before the import commits."""

    def __init__(self, job_id: int) -> None:
        self.writer = ProgressWriter(table=ImportJob._meta.db_table, pk=job_id, running=ImportJobStatus.RUNNING)
        self.shown: tuple[str, int] | None = None
        self.at = 0.0

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        percent = min(100, done * 100 // total) if phase == "reading" and total else (0 if phase == "reading" else 100)
        now = time.monotonic()
        if (phase, percent) == self.shown or (
            self.shown and self.shown[0] == phase and now - self.at < PROGRESS_EVERY_SECONDS
        ):
            return
        self.shown, self.at = (phase, percent), now
        if phase == "reading" or total is None:
            self.writer.update(phase=phase, progress=percent)
        else:  # the file is read: its rows are counted, and the page can say how many are being checked
            self.writer.update(phase=phase, progress=percent, rows=total)

    def close(self) -> None:
        self.writer.close()


def import_job_execute(*, job_id: int) -> ImportJob:
    """Claim a queued job, import its file as the user who uploaded it, and record the outcome, holding the job's
    ownership lock throughout (``kam.work_ownership``). A ``running`` job whose lock is free lost its worker: the
    import, all or nothing, left nothing behind and starts again from the kept file. A finished job (a redelivered
    task) is left alone."""
    with work_owned(kind=IMPORT_JOB, pk=job_id, wait_seconds=IMPORT_OWNER_WAIT_SECONDS) as owned:
        if not owned:
            logger.info("import job %s: another worker is still executing it", job_id)
            return ImportJob.objects.get(pk=job_id)
        return _import_job_execute_owned(job_id=job_id)


def _import_job_execute_owned(*, job_id: int) -> ImportJob:
    claimed = ImportJob.objects.filter(pk=job_id, status__in=[ImportJobStatus.QUEUED, ImportJobStatus.RUNNING]).update(
        status=ImportJobStatus.RUNNING, started_at=timezone.now(), phase="reading", progress=0
    )
    job = ImportJob.objects.select_related("requested_by").get(pk=job_id)
    if not claimed:
        logger.info("import job %s is %s: nothing to do", job_id, job.status)
        return job
    reporter = _JobProgress(job_id)
    try:
        if job.requested_by is None:
            raise PermissionDenied("The user who uploaded this file no longer exists.")
        with acting_as(user=job.requested_by, label=f"{job.requested_by.get_username()} (import job {job.pk})"):
            result = import_csv(kind=job.kind, file=io.BytesIO(job.data), actor=job.requested_by, progress=reporter)
    except PermissionDenied as refused:
        result = ImportResult(kind=job.kind, errors=[RowError(0, "", str(refused))], error_count=1)
    except Exception as error:
        logger.exception("import job %s failed", job_id)
        result = ImportResult(kind=job.kind, errors=[RowError(0, "", f"The import failed: {error}")], error_count=1)
    finally:
        reporter.close()
    values = {
        "status": ImportJobStatus.SUCCEEDED if result.ok else ImportJobStatus.FAILED,
        "phase": "",
        "progress": 100,
        "finished_at": timezone.now(),
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "error_count": result.error_count,
        "errors": [error.as_dict() for error in result.errors],
        "data": b"",
    }
    ImportJob.objects.filter(pk=job_id).update(**values)
    job.refresh_from_db()
    return job


def import_job_errors_csv(*, job: ImportJob) -> str:
    """The job's errors as CSV (line, field, message), for a spreadsheet next to the file."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "field", "message"])
    for error in job.errors:
        writer.writerow([error.get("line"), error.get("field"), error.get("message")])
    return out.getvalue()
