"""Fixes for gaps of the libraries we lean on, in one place, each with its test
(tests/integrations/test_adapters.py)."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


@contextlib.asynccontextmanager
async def resilient_session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose connection is discarded after a database error.

    Gap: when PostgreSQL kills a connection mid-operation, asyncpg can leave it in a state where every
    later call fails ("cannot switch to state …; another operation is in progress"); SQLAlchemy does
    not classify that as a disconnect, so the connection goes back to the pool and poisons the next
    user. Invalidating it on any DBAPIError makes the pool open a fresh one.
    """
    async with sessions() as session:
        try:
            yield session
        except DBAPIError:
            with contextlib.suppress(Exception):
                await session.invalidate()
            raise
