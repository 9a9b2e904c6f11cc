"""HTTP helpers for API tests."""

from __future__ import annotations

from typing import Any


def if_match(client: Any, url: str) -> dict[str, str]:
    """The ``If-Match`` a careful integration sends with a write: the ETag of the object as ``client`` reads it
    now (nothing when it cannot read it: the write is then refused for that reason, 404 or 403)."""
    response = client.get(url)
    return {"HTTP_IF_MATCH": response["ETag"]} if response.status_code == 200 and response.has_header("ETag") else {}
