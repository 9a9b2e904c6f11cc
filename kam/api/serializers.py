"""Serializer building blocks shared by every app's API."""

from __future__ import annotations

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


class DecimalStringField(serializers.DecimalField):
    """Money and scores travel as decimal strings (DESIGN §8): a JSON number would already have lost cents."""

    default_error_messages = {"not_a_string": 'Send a decimal string such as "1250.00", not a number.'}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
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
