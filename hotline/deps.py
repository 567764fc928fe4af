"""FastAPI dependencies shared by every router (`Annotated` aliases); they work for HTTP and WebSocket."""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from hotline.kernel import Kernel


def get_kernel(conn: HTTPConnection) -> Kernel:
    """The kernel the app was started with."""
    return conn.app.state.kernel


KernelDep = Annotated[Kernel, Depends(get_kernel)]


async def get_session(conn: HTTPConnection) -> AsyncIterator[AsyncSession]:
    """One database session per request (or WebSocket connection)."""
    async with conn.app.state.kernel.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
