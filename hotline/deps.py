"""FastAPI dependencies shared by every router (`Annotated` aliases)."""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.kernel import Kernel


def get_kernel(request: Request) -> Kernel:
    return request.app.state.kernel


KernelDep = Annotated[Kernel, Depends(get_kernel)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.kernel.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
