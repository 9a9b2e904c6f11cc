"""OpenAPI generation: every operation documents the errors KAM answers with, and the rate-limit headers.

Errors are part of the contract (DESIGN §8): 400 ``{field: [messages]}`` or ``{"detail", "code"}``, 401 without
credentials, 403 when the caller sees the object but may not do this, 404 for what the caller may not see, 429
over the caller's rate limit (``kam/api/throttling.py``); and the safe writes (``kam/api/safe_writes.py``): the
``ETag`` of an object, ``If-Match`` on PATCH/PUT/DELETE with its 412 and 428, ``Idempotency-Key`` on POST with
its 422.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from kam.api.csv import CSV_FORMAT, CSV_MEDIA_TYPE, is_list_operation
from kam.api.safe_writes import (
    CONDITIONAL_METHODS,
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_KEY_PATTERN,
    REPLAYED_HEADER,
    SafeWritesMixin,
)
from kam.api.serializers import (
    TEXT_PATTERN,
    DateWithinField,
    DecimalStringField,
    RequestRules,
    StrictCharField,
    UnknownKeysRefused,
    text_pattern,
)

VALIDATION_ERROR = {
    "type": "object",
    "description": "Each key names the offending field (or `non_field_errors`); each value lists messages.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
DETAIL_ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}

# An operation that hands work to a worker answers 503 when the task queue is down (kam/queue.py).
QUEUE_UNAVAILABLE_DESCRIPTION = (
    "The task queue (Redis) cannot be reached: nothing was queued and nothing written "
    "(`code` `queue_unavailable`); try again later."
)


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


CSV_LIST = {
    "type": "string",
    "description": "Every row of the list under the same filters and ordering (not one page): a header row of "
    "field names, nested objects flattened to `parent.child` columns, lists and JSON values as JSON text.",
}
FORMAT_DESCRIPTION = (
    "`csv` answers the whole filtered list as a CSV download (as does `Accept: text/csv`); `json` or none: JSON."
)


class KamAutoSchema(AutoSchema):
    def map_renderers(self, attribute):
        # CSV is negotiated on list operations only (kam/api/csv.py), so only they document it.
        found = super().map_renderers(attribute)
        if is_list_operation(self.view, self.method):
            return found
        return [value for value in found if value not in (CSV_MEDIA_TYPE, CSV_FORMAT)]

    def _get_format_parameters(self):
        parameters = super()._get_format_parameters()
        for parameter in parameters:
            parameter["description"] = FORMAT_DESCRIPTION
        return parameters

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        content = response.get("content", {})
        if CSV_MEDIA_TYPE in content:
            content[CSV_MEDIA_TYPE] = {"schema": CSV_LIST}
        return response

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = {
            "400": _json(
                {"oneOf": [VALIDATION_ERROR, DETAIL_ERROR]}, "Bad input: the body names the field and what is wrong."
            ),
            "401": _json(DETAIL_ERROR, "No valid credentials: send `Authorization: Token <key>`."),
            "403": _json(DETAIL_ERROR, "The caller can see this but may not do it."),
            "404": _json(DETAIL_ERROR, "No such object, or not one the caller may see."),
            "429": {
                **_json(
                    DETAIL_ERROR, "Over the caller's rate limit (`code` is `throttled`): wait `Retry-After` seconds."
                ),
                "headers": {"Retry-After": {"$ref": "#/components/headers/Retry-After"}},
            },
        }
        if self._safe_writes():
            if self.method in CONDITIONAL_METHODS:
                errors["412"] = _json(DETAIL_ERROR, "`If-Match` names an older state: GET the object again.")
                errors["428"] = _json(DETAIL_ERROR, "`If-Match` is missing: send the ETag from a GET (or `*`).")
            if self.method == "POST":
                errors["422"] = _json(DETAIL_ERROR, "This `Idempotency-Key` was used for a different request.")
            if self.method == "GET" and "{" in self.path:
                errors["304"] = {"description": "Not modified: `If-None-Match` names the current ETag."}
        for code, response in errors.items():
            responses.setdefault(code, response)
        return responses

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.MultipleChoiceField) and not field.allow_empty:
            schema["minItems"] = 1  # e.g. a webhook's events: at least one
        if isinstance(field, DecimalStringField) and "pattern" in schema:
            # the field's own form: ASCII digits within its bounds (drf-spectacular's admits "" and any digit)
            schema["pattern"] = field.pattern
        if direction == "request" and not field.read_only:
            if isinstance(field, DateWithinField):
                schema["pattern"] = field.pattern
            if type(field) in (serializers.CharField, StrictCharField) and field.trim_whitespace:
                # what DRF takes of a text: no NUL, and not blank once trimmed where blank is refused
                shortest = max(field.min_length or 0, 0 if field.allow_blank else 1)
                schema["pattern"] = text_pattern(min_length=shortest)
        return schema

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction != "request":
            return schema
        if isinstance(serializer, UnknownKeysRefused):
            schema["additionalProperties"] = False
        if isinstance(serializer, RequestRules) and serializer.request_rules and not serializer.partial:
            # set aside until the enums are named (request_rules_as_all_of): drf-spectacular's enum hook would
            # take a rule's `{"enum": ["paid"]}` for a choice set of its own and name it
            schema[REQUEST_RULES_KEY] = list(serializer.request_rules)
        return schema

    def _safe_writes(self) -> bool:
        return isinstance(self.view, SafeWritesMixin)

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if not self._safe_writes():
            return parameters
        if self.method in CONDITIONAL_METHODS:
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    str,
                    OpenApiParameter.HEADER,
                    description=(
                        "The `ETag` of the object as last read (from a GET): a stale one is answered 412 and nothing "
                        "is written; without the header the answer is 428 (unless `KAM_API_REQUIRE_IF_MATCH` is "
                        "off). `*` writes whatever the object's current state."
                    ),
                )
            )
        if self.method == "POST":
            parameters.append(
                OpenApiParameter(
                    IDEMPOTENCY_HEADER,
                    str,
                    OpenApiParameter.HEADER,
                    pattern=IDEMPOTENCY_KEY_PATTERN,
                    description=(
                        "A key of your own (e.g. a UUID) per request: a retry with the same key and body is answered "
                        "with the first success instead of acting twice (for 24 hours); the same key with another "
                        "body is a 422."
                    ),
                )
            )
            parameters.append(
                OpenApiParameter(
                    REPLAYED_HEADER,
                    str,
                    OpenApiParameter.HEADER,
                    enum=["true"],
                    response=["200", "201", "202"],
                    description="`true` when this is the stored answer to an earlier request with the same key.",
                )
            )
        if "{" in self.path and self.method in {"GET", "PATCH", "PUT"}:
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    str,
                    OpenApiParameter.HEADER,
                    response=["200", "304"],
                    description="The representation's tag: send it in `If-Match` to change or delete the object.",
                )
            )
        return parameters


def empty_filter_values(result, generator, request, public):
    """Postprocessing hook: an empty query value means "any" (the pages' filter forms send them), so each
    enumerated query parameter also admits ``""``."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") != "query":
                    continue
                schema = parameter.get("schema", {})
                target = schema.get("items", schema) if schema.get("type") == "array" else schema
                if "enum" in target and "" not in target["enum"]:
                    target["enum"] = [*target["enum"], ""]
    return result


REQUEST_RULES_KEY = "x-kam-request-rules"


def request_rules_as_all_of(result, generator, request, public):
    """Postprocessing hook, after drf-spectacular's enum hook: the rules between fields a create body obeys
    (``RequestRules``) become ``allOf`` of its component."""
    for component in result.get("components", {}).get("schemas", {}).values():
        rules = component.pop(REQUEST_RULES_KEY, None)
        if rules:
            component["allOf"] = [*component.get("allOf", []), *rules]
    return result


def free_text_query_values(result, generator, request, public):
    """Postprocessing hook: a free-text query value (a search, an industry, an external id) may be anything but
    a NUL character, which the filters refuse with a 400 (PostgreSQL stores none)."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter.get("schema", {})
                if parameter.get("in") != "query" or schema.get("type") != "string":
                    continue
                if not {"enum", "format", "pattern"} & schema.keys():
                    schema["pattern"] = TEXT_PATTERN
    return result


def _header(description: str) -> dict:
    return {"description": description, "schema": {"type": "integer", "minimum": 0}}


RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": _header(
        "Requests of this kind (reads: GET, HEAD, OPTIONS; writes: the rest) the caller may make per window."
    ),
    "RateLimit-Remaining": _header("Requests of this kind left in the current window."),
    "RateLimit-Reset": _header("Seconds until the current window closes and the count starts again."),
    "RateLimit-Policy": {
        "description": "The limit and the window in seconds, e.g. `120;w=60`.",
        "schema": {"type": "string"},
    },
}
RETRY_AFTER = _header("Seconds to wait before the next request of this kind will be answered.")


def rate_limit_headers(result, generator, request, public):
    """Postprocessing hook: every response may carry the ``RateLimit-*`` headers (absent when the limit of that
    kind is off or Redis is down, hence not required); 429 carries ``Retry-After``."""
    components = result.setdefault("components", {}).setdefault("headers", {})
    components.update(RATE_LIMIT_HEADERS)
    components["Retry-After"] = RETRY_AFTER
    refs = {name: {"$ref": f"#/components/headers/{name}"} for name in RATE_LIMIT_HEADERS}
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                response.setdefault("headers", {}).update(refs)
    return result
