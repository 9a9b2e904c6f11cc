"""Serializer building blocks shared by every app's API.

What a field takes is said once and read twice: the OpenAPI schema states it (``kam.api.schema``) and the field
enforces it, so that whatever the schema calls valid is taken and whatever it calls invalid is a 400 naming the
field. The patterns are written for both readers — the schema's (ECMAScript regular expressions) and Python's
``re`` (with ``fullmatch``) — with explicit character classes only: ``\\d`` and ``\\s`` mean other characters to
each of them.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar

from django.core.validators import RegexValidator
from django.db import models
from rest_framework import serializers

# What Python's ``str.strip()`` removes, which DRF does to every text field before checking it is not blank.
TRIMMED = r"\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# PostgreSQL stores no NUL character in text; DRF refuses it (400) rather than let the database fail.
TEXT_PATTERN = r"^[^\u0000]*$"


# Blank once trimmed (what a text field that may be blank takes as "nothing").
BLANK_PATTERN = rf"^[{TRIMMED}]*$"


def text_pattern(*, min_length: int = 0) -> str:
    """Text without NUL that still has at least ``min_length`` characters once trimmed (``1``: not blank)."""
    if min_length <= 0:
        return TEXT_PATTERN
    kept = rf"[^\u0000{TRIMMED}]"
    if min_length == 1:
        return rf"^[^\u0000]*{kept}[^\u0000]*$"
    return rf"^[^\u0000]*{kept}[^\u0000]{{{min_length - 2},}}{kept}[^\u0000]*$"


class StrictBooleanField(serializers.BooleanField):
    """JSON ``true``/``false`` only; DRF would also take 0, 1, "yes", "on"… which the schema does not allow."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class _StringsOnly:
    """Text fields take JSON strings only; DRF would turn ``0`` or ``true`` into ``"0"`` / ``"True"``. The
    longest text is counted as sent (as the schema's ``maxLength`` counts it), not once trimmed."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Must be a string.", code="invalid")
        max_length = getattr(self, "max_length", None)
        if max_length is not None and len(data) > max_length:
            self.fail("max_length", max_length=max_length)  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictCharField(_StringsOnly, serializers.CharField):
    """Text as a JSON string. A text with a pattern (a country code, a URL) is checked as sent, untrimmed: the
    schema's pattern reads it so."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if any(isinstance(validator, RegexValidator) for validator in self.validators):
            self.trim_whitespace = False


class StrictEmailField(_StringsOnly, serializers.EmailField):
    pass


class StrictSlugField(_StringsOnly, serializers.SlugField):
    pass


def _digits_at_most(width: int) -> str:
    """Up to ``width`` significant digits, after any leading zeros (DRF counts digits without them)."""
    return rf"0*[0-9]{{1,{width}}}" if width > 0 else "0+"


def _nonzero_fraction(places: int) -> str:
    """A point and 1 to ``places`` decimals, not all zeros."""
    return "|".join(rf"0{{{zeros}}}[1-9][0-9]{{0,{places - 1 - zeros}}}" for zeros in range(places))


def decimal_pattern(
    max_digits: int | None,
    decimal_places: int | None,
    *,
    min_value: Decimal | None = None,
    max_value: Decimal | None = None,
    empty: bool = False,
) -> str:
    """What a decimal string field takes, as the schema says it and the field checks it: ASCII digits, a point,
    a "-" only where the field may be negative, within the field's digits and places and its bounds — no
    exponent, no "+", no spaces; ``""`` only where it means null (DRF reads an empty string as null for a
    nullable decimal).

    The bounds a pattern can state: a minimum of 0 (no sign) or of one unit of the last place (not all zeros),
    and a maximum that is a power of ten (fewer whole digits, or that power itself with zero decimals). Any other
    bound is refused here, so that no field documents less than it checks."""
    places = decimal_places or 0
    whole = max_digits - places if max_digits is not None else None
    unit = Decimal(1).scaleb(-places)
    if min_value is not None and min_value not in (Decimal(0), unit):
        raise ValueError(f"A pattern cannot state a minimum of {min_value}.")
    ceiling = None
    if max_value is not None:
        exponent = Decimal(max_value).normalize().as_tuple()
        if exponent.digits != (1,) or exponent.exponent < 0 or (whole is not None and exponent.exponent >= whole):
            raise ValueError(f"A pattern cannot state a maximum of {max_value}.")
        ceiling = int(exponent.exponent)
        whole = ceiling
    decimals = rf"(?:\.[0-9]{{0,{places}}})?" if decimal_places is not None else r"(?:\.[0-9]*)?"
    fraction = rf"\.[0-9]{{1,{places}}}" if decimal_places is not None else r"\.[0-9]+"
    integer = _digits_at_most(whole) if whole is not None else "[0-9]+"
    if min_value is not None and min_value > 0:
        # not all zeros: a non-zero digit in the whole part, or else in the decimals
        significant = rf"0*[1-9][0-9]{{0,{whole - 1}}}" if whole is not None else "0*[1-9][0-9]*"
        alternatives = [
            significant + decimals,
            rf"0*\.(?:{_nonzero_fraction(places)})" if places else None,
        ]
        if whole == 0:
            alternatives[0] = None
        number = "|".join(part for part in alternatives if part)
    else:
        number = rf"{integer}{decimals}|{fraction}"
    if ceiling is not None:
        zeros = rf"(?:\.0{{0,{places}}})?" if places else ""
        number += rf"|0*1{'0' * ceiling}{zeros}"
    sign = "" if min_value is not None else "-?"
    body = rf"{sign}(?:{number})"
    return rf"^(?:{body})?$" if empty else rf"^{body}$"


class DecimalStringField(serializers.DecimalField):
    """Money and scores travel as decimal strings (DESIGN §8): a JSON number would already have lost cents. The
    string is what ``pattern`` says, which the schema documents: plain ASCII digits within the field's bounds —
    ``"1e3"``, ``" 5"``, ``"٣"`` or ``"-0"`` where the field is never negative is a 400."""

    default_error_messages = {
        "not_a_string": 'Send a decimal string such as "1250.00", not a number.',
        "not_plain": 'Send plain digits such as "1250.00" (an optional "-" and point; no exponent or spaces).',
        "not_in_form": "Send plain digits: {form}.",
    }

    @property
    def pattern(self) -> str:
        return decimal_pattern(
            self.max_digits,
            self.decimal_places,
            min_value=self.min_value,
            max_value=self.max_value,
            empty=self.allow_null,
        )

    def validate_empty_values(self, data):
        # DRF would read "  " as null too; only "" means null
        if isinstance(data, str) and data and not data.strip():
            self.fail("not_plain")
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        if data and not re.fullmatch(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", data):
            self.fail("not_plain")
        value = super().to_internal_value(data)
        # the bounds' own messages first (DRF runs the validators again after this), then the form they leave
        self.run_validators(value)
        if not re.fullmatch(self.pattern, data):
            self.fail("not_in_form", form=self._form())
        return value

    def _form(self) -> str:
        words = [f"at most {self.max_digits - self.decimal_places} whole digits and {self.decimal_places} decimals"]
        if self.min_value is not None:
            words.append("no sign" if self.min_value == 0 else "not zero, no sign")
        if self.max_value is not None:
            words.append(f"at most {self.max_value}")
        return ", ".join(words)


def _digit_class(low: int, high: int) -> str:
    return str(low) if low == high else f"[{low}-{high}]"


def _any_digits(count: int) -> str:
    return "" if count == 0 else "[0-9]" if count == 1 else f"[0-9]{{{count}}}"


def _int_range(low: str, high: str) -> str:
    """A regular expression for the digit strings of one width from ``low`` to ``high`` (both that width)."""
    width = len(low)
    if low == high:
        return low
    if width == 1:
        return _digit_class(int(low), int(high))
    if low == "0" * width and high == "9" * width:
        return _any_digits(width)
    if low[0] == high[0]:
        return low[0] + _int_range(low[1:], high[1:])
    rest = width - 1
    parts = [low[0] + _int_range(low[1:], "9" * rest)]
    if int(high[0]) - int(low[0]) > 1:
        parts.append(_digit_class(int(low[0]) + 1, int(high[0]) - 1) + _any_digits(rest))
    parts.append(high[0] + _int_range("0" * rest, high[1:]))
    return "(?:" + "|".join(parts) + ")"


def _days(first: int, last: int) -> str:
    return _int_range(f"{first:02d}", f"{last:02d}")


def _month_days(first: tuple[int, int], last: tuple[int, int]) -> list[str]:
    """``MM-DD`` from ``first`` to ``last`` (month, day) within one year."""
    (m1, d1), (m2, d2) = first, last
    if m1 == m2:
        return [f"{m1:02d}-{_days(d1, d2)}"]
    parts = [f"{m1:02d}-{_days(d1, 31)}"]
    if m2 - m1 > 1:
        parts.append(f"{_days(m1 + 1, m2 - 1)}-{_days(1, 31)}")
    parts.append(f"{m2:02d}-{_days(1, d2)}")
    return parts


def date_pattern(first: datetime.date | None, last: datetime.date | None) -> str:
    """ISO dates (``YYYY-MM-DD``) from ``first`` to ``last``, both included (None: no bound), as a pattern that
    goes with ``format: date`` (which rules out the 30th of February)."""
    first = first or datetime.date(1, 1, 1)
    last = last or datetime.date(9999, 12, 31)
    if first.year == last.year:
        parts = [f"{first.year:04d}-(?:{'|'.join(_month_days((first.month, first.day), (last.month, last.day)))})"]
    else:
        parts = [f"{first.year:04d}-(?:{'|'.join(_month_days((first.month, first.day), (12, 31)))})"]
        if last.year - first.year > 1:
            parts.append(f"{_int_range(f'{first.year + 1:04d}', f'{last.year - 1:04d}')}-{_days(1, 12)}-{_days(1, 31)}")
        parts.append(f"{last.year:04d}-(?:{'|'.join(_month_days((1, 1), (last.month, last.day)))})")
    return "^(?:" + "|".join(parts) + ")$"


DateBound = datetime.date | Callable[[], datetime.date] | None


class DateWithinField(serializers.DateField):
    """A date within bounds known when the request arrives (today, or a fixed first day), which the schema states
    as a pattern. The field only documents them: the service that owns the rule refuses a date outside them
    (400 naming the field), in the API and in the pages alike."""

    def __init__(self, *, earliest: DateBound = None, latest: DateBound = None, **kwargs: Any) -> None:
        self.earliest, self.latest = earliest, latest
        super().__init__(**kwargs)

    @staticmethod
    def _day(bound: DateBound) -> datetime.date | None:
        return bound() if callable(bound) else bound

    @property
    def pattern(self) -> str:
        return date_pattern(self._day(self.earliest), self._day(self.latest))


class UnknownKeysRefused:
    """A serializer that refuses, with 400 naming the key, any key it does not take (read-only or unknown): the
    schema says ``additionalProperties: false`` of its request body (``kam.api.schema``).

    DRF silently ignores them by default; a caller who sends ``kas`` or ``stage`` must learn that it was
    not taken (ground rule: never a silent drop)."""

    fields: Any

    def _unknown_keys(self, data: Mapping) -> dict[str, list[str]]:
        writable = {name for name, field in self.fields.items() if not field.read_only}
        return {
            key: ["This field is read-only." if key in self.fields else "Unknown field."]
            for key in data
            if key not in writable
        }

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            refused = self._unknown_keys(data)
            if refused:
                raise serializers.ValidationError(refused)
        return super().to_internal_value(data)  # type: ignore[misc]


class RequestRules:
    """A serializer whose new records obey rules between fields: ``request_rules`` are JSON Schema objects (the
    OpenAPI 3.0 subset: ``anyOf``, ``oneOf``, ``not``, ``required``, ``properties``, ``enum``, ``pattern``) that
    the schema of its create body adds as ``allOf``, so that a client — and the schema's own generators —
    know them before they send. The rules are enforced where they live (model constraints, services), each with
    a 400 naming its field; ``tests/kam/test_request_rules.py`` holds each statement to its enforcement."""

    request_rules: ClassVar[tuple[dict[str, Any], ...]] = ()


# What a rule says of one property: that it is null where given, or that it is given something.
NULL_OR_ABSENT: dict[str, Any] = {"enum": [None]}
PRESENT: dict[str, Any] = {"not": {"enum": [None, ""]}}


def one_of_required(*names: str) -> dict[str, Any]:
    """At least one of ``names`` is given."""
    return {"anyOf": [{"required": [name]} for name in names]}


def needs(name: str, when: dict[str, Any], then: dict[str, Any]) -> dict[str, Any]:
    """When ``name`` is not as ``when`` allows it to be left (absent, or one of its values), ``then`` holds."""
    return {"anyOf": [{"properties": {name: when}}, then]}


class StrictModelSerializer(UnknownKeysRefused, RequestRules, serializers.ModelSerializer):
    """Refuses, with 400 naming the field, input keys that are read-only or unknown, and a list where a list of
    ids belongs."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.BooleanField: StrictBooleanField,
        models.DecimalField: DecimalStringField,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.EmailField: StrictEmailField,
        models.SlugField: StrictSlugField,
    }

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            refused = self._unknown_keys(data)
            for key, value in data.items():
                field = self.fields.get(key)
                if isinstance(field, serializers.ManyRelatedField | serializers.ListField) and not isinstance(
                    value, list
                ):
                    refused[key] = ["Expected a list of ids."]
            if refused:
                raise serializers.ValidationError(refused)
        return serializers.ModelSerializer.to_internal_value(self, data)


class DecisionSerializer(UnknownKeysRefused, serializers.Serializer):
    """An optional note that goes with a decision (approve, reject, revoke); any other key is a 400."""

    note = StrictCharField(required=False, allow_blank=True, max_length=2000)
