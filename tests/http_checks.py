"""Checks on HTTP answers shared by the packages' API tests."""
from __future__ import annotations


def field_error(response, *loc: str) -> str:
    """The message of the 422 entry for `loc`, after checking the body is the published validation-error
    shape (FastAPI's HTTPValidationError: `detail` is a list of {loc, msg, type})."""
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail, response.text
    assert all(isinstance(e["loc"], list) and isinstance(e["msg"], str) and isinstance(e["type"], str)
               for e in detail), response.text
    (entry,) = [e for e in detail if tuple(e["loc"]) == loc]
    return entry["msg"]
