"""Library-gap fixes of integrations/adapters.py, one test per fix."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from integrations.adapters import resilient_session


async def _dbapi(session):
    return (await (await session.connection()).get_raw_connection()).dbapi_connection


async def test_a_database_error_discards_the_connection_instead_of_pooling_it(kernel):
    with pytest.raises(DBAPIError):
        async with resilient_session(kernel.sessions) as s:
            first = await _dbapi(s)
            raise DBAPIError("SELECT 1", None, RuntimeError("cannot switch to state 12"))
    async with resilient_session(kernel.sessions) as s:  # a fresh, working connection
        assert await _dbapi(s) is not first
        assert await s.scalar(text("SELECT 1")) == 1


async def test_other_errors_give_the_connection_back_to_the_pool(kernel):
    with pytest.raises(ValueError):
        async with resilient_session(kernel.sessions) as s:
            first = await _dbapi(s)
            raise ValueError("not a database error")
    async with resilient_session(kernel.sessions) as s:
        assert await _dbapi(s) is first
