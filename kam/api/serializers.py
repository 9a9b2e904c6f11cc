"""Serializer building blocks shared by every app's API."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.db import models
from rest_framework import serializers


class StrictBooleanField(serializers.BooleanField):
    """JSON ``true``/``false`` only; DRF would also take 0, 1, "yes", "on"… which the schema does not allow."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class _StringsOnly:
    """Text fields take JSON strings only; DRF would turn ``0`` or ``true`` into ``"0"`` / ``"True"``."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Must be a string.", code="invalid")
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictCharField(_StringsOnly, serializers.CharField):
    pass


class StrictEmailField(_StringsOnly, serializers.EmailField):
    pass


class StrictSlugField(_StringsOnly, serializers.SlugField):
    pass


def decimal_pattern(max_digits: int | None, decimal_places: int | None, *, empty: bool = False) -> str:
    """What a decimal string field takes, as the schema says it: digits, an optional sign and point, at least one
    digit, within the field's places — no exponent, no "+", no spaces; ``""`` only where it means null (DRF reads
    an empty string as null for a nullable decimal)."""
    places = decimal_places or 0
    whole = f"{{1,{max_digits - places}}}" if max_digits is not None else "+"
    decimals = f"{{0,{places}}}" if decimal_places is not None else "*"
    tail = f"{{1,{places}}}" if decimal_places is not None else "+"
    number = rf"-?(?:\d{whole}(?:\.\d{decimals})?|\.\d{tail})"
    return rf"^(?:{number})?$" if empty else rf"^{number}$"


class DecimalStringField(serializers.DecimalField):
    """Money and scores travel as decimal strings (DESIGN §8): a JSON number would already have lost cents. The
    string is plain digits (``decimal_pattern``, as the schema documents it): ``"1e3"`` or ``" 5"`` is refused."""

    default_error_messages = {
        "not_a_string": 'Send a decimal string such as "1250.00", not a number.',
        "not_plain": 'Send plain digits such as "1250.00" (an optional "-" and point; no exponent or spaces).',
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        if data and not re.fullmatch(r"-?(?:\d+(?:\.\d*)?|\.\d+)", data):
            self.fail("not_plain")
        return super().to_internal_value(data)


class StrictModelSerializer(serializers.ModelSerializer):
    """Refuses, with 400 naming the field, input keys that are read-only or unknown.

    DRF silently ignores them by default; a caller who sends ``kas`` or ``stage`` must learn that it was
    not taken (ground rule: never a silent drop).
    """

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
            writable = {name for name, field in self.fields.items() if not field.read_only}
            refused = {
                key: ["This field is read-only." if key in self.fields else "Unknown field."]
                for key in data
                if key not in writable
            }
            for key, value in data.items():
                field = self.fields.get(key)
                if isinstance(field, serializers.ManyRelatedField | serializers.ListField) and not isinstance(
                    value, list
                ):
                    refused[key] = ["Expected a list of ids."]
            if refused:
                raise serializers.ValidationError(refused)
        return super().to_internal_value(data)


class DecisionSerializer(serializers.Serializer):
    """An optional note that goes with a decision (approve, reject, revoke); any other key is a 400."""

    note = StrictCharField(required=False, allow_blank=True, max_length=2000)

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = {key: ["Unknown field."] for key in data if key not in self.fields}
            if unknown:
                raise serializers.ValidationError(unknown)
        return super().to_internal_value(data)
