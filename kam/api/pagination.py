"""List pagination: ``{"count", "next", "previous", "results"}``, ``page_size`` up to 500."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 500


class KamPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise ValidationError({"page_size": ["A whole number from 1 to 500 is required."]}) from None
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise ValidationError({"page_size": [f"Must be between 1 and {MAX_PAGE_SIZE}; follow `next` for more."]})
        return size

    def get_page_number(self, request, paginator):
        # DRF reads an empty ``page`` as page 1; the schema says a page number is an integer, so say so instead.
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and not raw.strip():
            raise ValidationError({"page": ["A page number from 1 is required; leave `page` out for the first."]})
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": MAX_PAGE_SIZE})
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters
