"""422 answers in the shape the published OpenAPI schema gives them (FastAPI's HTTPValidationError):
`{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`, for checks that need data the request
parameters cannot declare (the directory's catalogue and seats, the users table, two parameters together)."""
from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError


def invalid(loc: tuple[str | int, ...], message: str, value: Any = None) -> RequestValidationError:
    """Raise the result: a validation failure of the request part at `loc` (e.g. ("query", "category"))."""
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": message, "input": value}])
