"""The `hotline12348` command: users, API keys, settings reference, and start-up refusing bad input."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hotline import cli
from hotline.cli_settings import settings_markdown
from hotline.db import make_engine, make_sessionmaker
from hotline.models import ApiKey, AuditLog, User
from hotline.settings import ROOT, get_settings

runner = CliRunner()


@pytest.fixture
def cli_env(db_url, monkeypatch):
    """The CLI pointed at the test database (settings come from the environment, as in production)."""
    monkeypatch.setenv("HOTLINE_DATABASE_URL", db_url)
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "cli-test-secret-0123456789abcdefghijklmnop")
    get_settings.cache_clear()
    cli._register_subcommands()
    asyncio.run(_wipe(db_url))
    yield db_url
    get_settings.cache_clear()


async def _wipe(url: str) -> None:
    from hotline.db import import_models

    engine = make_engine(url)
    async with engine.begin() as conn:
        for t in reversed(import_models().sorted_tables):
            await conn.execute(t.delete())
    await engine.dispose()


def _query(url: str, stmt):
    async def go():
        engine = make_engine(url)
        try:
            async with make_sessionmaker(engine)() as s:
                return list(await s.scalars(stmt))
        finally:
            await engine.dispose()
    return asyncio.run(go())


def invoke(*args: str, stdin: str | None = None):
    return runner.invoke(cli.app, list(args), input=stdin)


def test_users_add_with_password_on_stdin_creates_an_audited_account(cli_env):
    r = invoke("users", "add", "zhangsan", "--role", "seat", "--seat", "1001", "--name", "张三", "--password-stdin",
               stdin="Hotline-12348\n")
    assert r.exit_code == 0, r.output
    assert "zhangsan" in r.output and "410100" in r.output
    [user] = _query(cli_env, select(User))
    assert (user.role, user.center_code, user.display_name) == ("seat", "410100", "张三")
    assert user.password_hash.startswith("$argon2")
    [row] = _query(cli_env, select(AuditLog).where(AuditLog.action == "user.create"))
    assert row.actor.startswith("cli:")


def test_users_add_prompts_for_the_password_twice(cli_env):
    r = invoke("users", "add", "lisi", "--role", "admin", stdin="Hotline-12348\nHotline-12348\n")
    assert r.exit_code == 0, r.output
    assert [u.username for u in _query(cli_env, select(User))] == ["lisi"]


@pytest.mark.parametrize(("args", "stdin", "field"), [
    (("users", "add", "x", "--role", "seat", "--password-stdin"), "Hotline-12348\n", "username"),
    (("users", "add", "wangwu", "--role", "seat", "--password-stdin"), "short\n", "password"),
    (("users", "add", "wangwu", "--role", "boss", "--password-stdin"), "Hotline-12348\n", "role"),
    (("users", "add", "wangwu", "--role", "seat", "--seat", "4242", "--password-stdin"), "Hotline-12348\n", "seat_extension"),
    (("users", "add", "wangwu", "--role", "seat", "--center", "123456", "--password-stdin"), "Hotline-12348\n", "center_code"),
])
def test_users_add_refuses_bad_input_naming_the_field_and_creates_nothing(cli_env, args, stdin, field):
    r = invoke(*args, stdin=stdin)
    assert r.exit_code == 1 and field in r.output
    assert _query(cli_env, select(User)) == []


def test_users_list_key_and_deactivate(cli_env):
    invoke("users", "add", "zhaoliu", "--role", "supervisor", "--password-stdin", stdin="Hotline-12348\n")
    listed = invoke("users", "list")
    assert listed.exit_code == 0 and "zhaoliu" in listed.output and "supervisor" in listed.output
    key = invoke("users", "key", "platform-12348")
    assert key.exit_code == 0
    secret = key.stdout.strip().splitlines()[-1]
    assert secret.startswith("hk_")
    [row] = _query(cli_env, select(ApiKey))
    assert row.name == "platform-12348" and secret not in row.key_hash  # only the hash is stored
    assert invoke("users", "key", "platform-12348").exit_code == 1  # duplicate name
    assert invoke("users", "revoke-key", "platform-12348").exit_code == 0
    assert invoke("users", "deactivate", "zhaoliu").exit_code == 0
    assert [u.active for u in _query(cli_env, select(User))] == [False]
    assert invoke("users", "deactivate", "nobody").exit_code == 1


@pytest.mark.parametrize(("var", "value", "named"), [
    ("HOTLINE_HTTP_PORT", "abc", "HOTLINE_HTTP_PORT"),
    ("HOTLINE_HTTP_PORT", "70000", "HOTLINE_HTTP_PORT"),
    ("HOTLINE_LOG_LEVEL", "LOUD", "HOTLINE_LOG_LEVEL"),
    ("HOTLINE_AMI_NODES", '[{"port": "x"}]', "HOTLINE_AMI_NODES[0].port"),
    ("HOTLINE_SECRET_KEY", "short", "HOTLINE_SECRET_KEY"),
    ("HOTLINE_PBX_MODE", "freeswitch", "HOTLINE_PBX_MODE"),
])
def test_run_refuses_a_malformed_setting_naming_it(monkeypatch, var, value, named):
    monkeypatch.setenv(var, value)
    get_settings.cache_clear()
    try:
        r = invoke("run")
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 2
    assert named in r.output and "配置错误" in r.output
    if "SECRET" in var:
        assert value not in r.output.replace(named, "")  # secrets are never echoed


def test_run_refuses_a_broken_directory_file_naming_the_field(tmp_path, monkeypatch):
    bad = (ROOT / "hotline" / "data" / "directory.yaml").read_text(encoding="utf-8").replace(
        '{extension: "1001", name: 坐席1001, center: "410100"', '{extension: "1001", name: 坐席1001, center: "410999"')
    (tmp_path / "directory.yaml").write_text(bad, encoding="utf-8")
    monkeypatch.setenv("HOTLINE_DIRECTORY_FILE", str(tmp_path / "directory.yaml"))
    get_settings.cache_clear()
    try:
        r = invoke("api")
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 2 and "seats.1001.center" in r.output and "目录数据错误" in r.output


def test_the_installed_command_stops_with_the_message_not_a_traceback(tmp_path):
    env = {**os.environ, "HOTLINE_HTTP_PORT": "abc"}
    exe = os.path.join(os.path.dirname(sys.executable), "hotline12348")
    p = subprocess.run([exe, "run"], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert p.returncode == 2
    assert "HOTLINE_HTTP_PORT" in p.stderr and "Traceback" not in p.stderr


def test_console_banner_says_where_to_open_the_consoles():
    text = cli.console_banner("0.0.0.0", 8000)
    assert "http://127.0.0.1:8000/login" in text and "/seat" in text and "/wallboard" in text


def test_settings_reference_in_the_docs_matches_the_settings_model():
    doc = (ROOT / "docs" / "hotline.md").read_text(encoding="utf-8")
    assert settings_markdown() in doc, "regenerate with `hotline12348 settings doc` into docs/hotline.md"


def test_users_passwd_and_unlock_let_a_locked_out_admin_back_in(cli_env):
    from hotline.db import utcnow
    from hotline.models import LoginAttempt

    invoke("users", "add", "boss", "--role", "admin", "--password-stdin", stdin="Hotline-12348\n")

    async def lock():
        engine = make_engine(cli_env)
        async with make_sessionmaker(engine)() as s:
            s.add_all([LoginAttempt(at=utcnow(), username="boss", address="10.0.0.1") for _ in range(9)])
            await s.commit()
        await engine.dispose()

    asyncio.run(lock())
    assert invoke("users", "passwd", "boss", "--password-stdin", stdin="New-pass-12348\n").exit_code == 0
    unlocked = invoke("users", "unlock", "boss")
    assert unlocked.exit_code == 0 and "cleared 9" in unlocked.output
    assert _query(cli_env, select(LoginAttempt)) == []
    [user] = _query(cli_env, select(User))
    from hotline.auth import verify_password

    assert verify_password(user.password_hash, "New-pass-12348")
    actions = [a.action for a in _query(cli_env, select(AuditLog).order_by(AuditLog.id))]
    assert actions == ["user.create", "user.update", "user.unlock"]
    assert invoke("users", "passwd", "ghost", "--password-stdin", stdin="New-pass-12348\n").exit_code == 1
