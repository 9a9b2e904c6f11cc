"""Serializer building blocks shared by every app's API."""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers


class StrictModelSerializer(serializers.ModelSerializer):
    """Refuses, with 400 naming the field, input keys that are read-only or unknown.

    DRF silently ignores them by default; a caller who sends ``kas`` or ``stage`` must learn that it was
    not taken (ground rule: never a silent drop).
    """

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            refused = {
                key: ["This field is read-only." if key in self.fields else "Unknown field."]
                for key in data
                if key not in writable
            }
            if refused:
                raise serializers.ValidationError(refused)
        return super().to_internal_value(data)
