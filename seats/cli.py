"""`hotline12348 seats …`: seats, their queues and their current state."""
from __future__ import annotations

import typer

from hotline.cli import run_async
from hotline.directory import load_directory
from hotline.settings import get_settings

name = "seats"
app = typer.Typer(help="坐席 (seats): list seats, their queues and state", no_args_is_help=True)


@app.command("list")
def list_seats(center: str = typer.Option(None, "--center", "-c", help="Only this center code, e.g. 410100")) -> None:
    """List every seat: extension, center, skills (level → penalty), languages, queues, current state."""
    from seats.membership import seat_queues

    settings = get_settings()
    directory = load_directory(settings.directory_file)
    states = run_async(_states(settings.database_url))
    for seat in directory.seats:
        if center and seat.center != center:
            continue
        skills = ", ".join(f"{k}:{v}" for k, v in seat.skills.items())
        queues = ", ".join(f"{s.queue}(p{s.penalty})" for s in seat_queues(directory, seat))
        st = states.get(seat.extension, ("offline", None, None))
        who = f" {st[1]}" if st[1] else ""
        reason = f"({st[2]})" if st[2] else ""
        typer.echo(f"{seat.extension}\t{seat.name}\t{seat.center}\t{st[0]}{reason}{who}\t"
                   f"[{skills}]\t{'/'.join(seat.languages)}\t{queues}")


async def _states(url: str) -> dict[str, tuple]:
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from hotline.db import make_engine, make_sessionmaker
    from seats.models import SeatSession

    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = (await session.scalars(select(SeatSession))).all()
            return {r.extension: (r.status, r.username, r.reason) for r in rows}
    except SQLAlchemyError:
        return {}  # database not migrated yet: every seat is shown offline
    finally:
        await engine.dispose()
