"""`hotline12348 users …`: create accounts and API keys from the console (audited as ``cli:<login>``)."""
from __future__ import annotations

import asyncio
import getpass
import sys

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from hotline.users import Actor, UserError

name = "users"
app = typer.Typer(help="用户与 API 密钥 (users and API keys)", no_args_is_help=True)


def _actor() -> Actor:
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return Actor(f"cli:{login}"[:64], "admin", "console")


async def _with_session(fn):
    """Run `fn(session, directory)` against the configured database."""
    from hotline.cli import load_settings_or_exit
    from hotline.db import make_engine, make_sessionmaker
    from hotline.directory import load_directory

    settings = load_settings_or_exit()
    directory = load_directory(settings.directory_file)
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await fn(session, directory)
    finally:
        await engine.dispose()


def _run(fn):
    try:
        return asyncio.run(_with_session(fn))
    except UserError as exc:
        typer.echo(f"错误 (error): {exc.field}: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    except (OperationalError, ProgrammingError) as exc:
        typer.echo(f"数据库错误 (database error): {exc.orig}\n先运行 `hotline12348 db upgrade`。", err=True)
        raise typer.Exit(1) from exc


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("密码 (password)", hide_input=True, confirmation_prompt=True)


@app.command("add")
def add(
    username: str = typer.Argument(..., help="Login name"),
    role: str = typer.Option(..., "--role", "-r", help="seat | supervisor | admin | auditor"),
    center: str = typer.Option(None, "--center", "-c", help="Center code, e.g. 410100 (omit: province-wide)"),
    seat: str = typer.Option(None, "--seat", "-s", help="Seat extension from the directory, e.g. 1001"),
    display_name: str = typer.Option("", "--name", "-n", help="Display name, e.g. 张三"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input"),
) -> None:
    """Create a person's account (password from a prompt, or --password-stdin)."""
    from hotline.users import check_password, check_username, create_user

    try:
        check_username(username)
        password = check_password(_read_password(password_stdin))
    except UserError as exc:
        typer.echo(f"错误 (error): {exc.field}: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    user = _run(lambda s, d: create_user(s, d, _actor(), username=username, password=password, role=role,
                                         center_code=center, seat_extension=seat, display_name=display_name))
    typer.echo(f"已创建用户 {user.username} (id {user.id}, role {user.role}, center {user.center_code or '-'}, "
               f"seat {user.seat_extension or '-'})")


@app.command("list")
def list_() -> None:
    """List accounts."""
    from hotline.users import list_users

    users = _run(lambda s, d: list_users(s))
    typer.echo(f"{'id':>4}  {'username':<20} {'role':<11} {'center':<7} {'seat':<6} active")
    for u in users:
        typer.echo(f"{u.id:>4}  {u.username:<20} {u.role:<11} {u.center_code or '-':<7} "
                   f"{u.seat_extension or '-':<6} {'yes' if u.active else 'no'}")


@app.command("deactivate")
def deactivate(username: str = typer.Argument(..., help="Login name")) -> None:
    """Deactivate an account (its logins and tokens stop working at once)."""
    from hotline.users import update_user

    async def _go(session, directory):
        return await update_user(session, directory, _actor(), await _user_id(session, username), {"active": False})

    _run(_go)
    typer.echo(f"已停用用户 {username}")


async def _user_id(session, username: str) -> int:
    from sqlalchemy import select

    from hotline.models import User

    uid = await session.scalar(select(User.id).where(User.username == username))
    if uid is None:
        raise UserError("username", f"用户 {username!r} 不存在")
    return uid


@app.command("passwd")
def passwd(
    username: str = typer.Argument(..., help="Login name"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input"),
) -> None:
    """Set a new password (e.g. the only administrator forgot theirs)."""
    from hotline.users import check_password, update_user

    try:
        password = check_password(_read_password(password_stdin))
    except UserError as exc:
        typer.echo(f"错误 (error): {exc.field}: {exc.message}", err=True)
        raise typer.Exit(1) from exc

    async def _go(session, directory):
        return await update_user(session, directory, _actor(), await _user_id(session, username),
                                 {"password": password})

    _run(_go)
    typer.echo(f"已更新用户 {username} 的密码")


@app.command("unlock")
def unlock(username: str = typer.Argument(..., help="Login name")) -> None:
    """Lift a login lock-out at once (clears the failed attempts of USERNAME from every address)."""
    from hotline.users import unlock_user

    cleared = _run(lambda s, d: unlock_user(s, _actor(), username))
    typer.echo(f"已解除 {username} 的登录锁定 (cleared {cleared} failed attempts)")


@app.command("key")
def key(
    key_name: str = typer.Argument(..., help="Client name, e.g. platform-12348"),
    role: str = typer.Option("integration", "--role", "-r", help="Role the key acts as"),
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    from hotline.users import create_api_key

    row, secret = _run(lambda s, d: create_api_key(s, _actor(), name=key_name, role=role))
    typer.echo(f"API key for {row.name} (id {row.id}, role {row.role}) — shown once, store it now:", err=True)
    typer.echo(secret)


@app.command("revoke-key")
def revoke_key(key_name: str = typer.Argument(..., help="Client name")) -> None:
    """Revoke an API key."""
    from sqlalchemy import select

    from hotline.models import ApiKey
    from hotline.users import revoke_api_key

    async def _go(session, directory):
        kid = await session.scalar(select(ApiKey.id).where(ApiKey.name == key_name))
        if kid is None:
            raise UserError("name", f"密钥 {key_name!r} 不存在")
        return await revoke_api_key(session, _actor(), kid)

    _run(_go)
    typer.echo(f"已吊销密钥 {key_name}")
