"""Login, logout, /api/me, token checks, rate limiting and the audit rows they write."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hotline.auth import issue_token
from hotline.db import utcnow
from hotline.models import AuditLog, LoginAttempt, User
from tests.hotline.conftest import PASSWORD, add_user, bearer, client_for, login


async def _audit(kernel, action: str) -> list[AuditLog]:
    async with kernel.sessions() as s:
        return list(await s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


async def test_login_returns_token_and_sets_httponly_cookie(kernel, client):
    await add_user(kernel, "zhang", "seat", seat_extension="1001")
    r = await login(client, "zhang")
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["role"] == "seat" and body["expires_in"] == 480 * 60
    cookie = r.headers["set-cookie"]
    assert "access_token=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    me = await client.get("/api/me")  # the cookie alone authenticates
    assert me.status_code == 200
    assert me.json()["seat_extension"] == "1001" and me.json()["center_name"] == "郑州市12348热线中心"


async def test_login_success_is_audited_with_address(kernel, shell_app):
    await add_user(kernel, "li", "supervisor")
    async with client_for(shell_app, "10.1.2.3") as c:
        assert (await login(c, "li")).status_code == 200
    rows = await _audit(kernel, "auth.login")
    assert [(r.actor, r.outcome, r.address) for r in rows] == [("li", "ok", "10.1.2.3")]


async def test_wrong_password_is_refused_recorded_and_audited(kernel, client):
    await add_user(kernel, "wang", "seat")
    r = await login(client, "wang", "wrong-password")
    assert r.status_code == 401
    assert "用户名或密码错误" in r.json()["detail"]
    rows = await _audit(kernel, "auth.login")
    assert rows[-1].outcome == "denied" and rows[-1].detail["reason"] == "bad_password"
    async with kernel.sessions() as s:
        assert await s.scalar(select(LoginAttempt.username)) == "wang"


async def test_unknown_user_gets_the_same_answer_as_a_wrong_password(kernel, client):
    r = await login(client, "nobody", "whatever-password")
    assert r.status_code == 401 and "用户名或密码错误" in r.json()["detail"]
    assert (await _audit(kernel, "auth.login"))[-1].detail["reason"] == "unknown_user"


async def test_repeated_failures_lock_the_username_for_that_address(kernel, shell_app):
    kernel.settings.login_max_failures = 3
    await add_user(kernel, "zhao", "seat")
    async with client_for(shell_app, "10.0.0.9") as attacker:
        for _ in range(3):
            assert (await login(attacker, "zhao", "guess-guess")).status_code == 401
        locked = await login(attacker, "zhao", PASSWORD)  # even the right password is refused now
        assert locked.status_code == 429
        assert 0 < int(locked.headers["retry-after"]) <= kernel.settings.login_window_seconds
        assert "登录失败次数过多" in locked.json()["detail"]
    async with client_for(shell_app, "10.0.0.10") as colleague:  # another address is not locked out
        assert (await login(colleague, "zhao")).status_code == 200
    outcomes = [r.outcome for r in await _audit(kernel, "auth.login")]
    assert outcomes == ["denied", "denied", "denied", "locked", "ok"]


async def test_lockout_counts_attempts_recorded_by_other_processes(kernel, client):
    """The count lives in the database: rows written elsewhere lock this process too."""
    kernel.settings.login_max_failures = 2
    await add_user(kernel, "qian", "seat")
    async with kernel.sessions() as s:
        for _ in range(2):
            s.add(LoginAttempt(at=utcnow(), username="qian", address="127.0.0.1", note="bad_password"))
        await s.commit()
    assert (await login(client, "qian")).status_code == 429


async def test_failures_older_than_the_window_do_not_count(kernel, client):
    kernel.settings.login_max_failures = 2
    await add_user(kernel, "sun", "seat")
    old = utcnow() - timedelta(seconds=kernel.settings.login_window_seconds + 5)
    async with kernel.sessions() as s:
        s.add_all([LoginAttempt(at=old, username="sun", address="127.0.0.1") for _ in range(5)])
        await s.commit()
    assert (await login(client, "sun")).status_code == 200


async def test_successful_login_clears_earlier_failures(kernel, client):
    kernel.settings.login_max_failures = 3
    await add_user(kernel, "zhou", "seat")
    for _ in range(2):
        await login(client, "zhou", "nope-nope")
    assert (await login(client, "zhou")).status_code == 200
    for _ in range(2):
        await login(client, "zhou", "nope-nope")
    assert (await login(client, "zhou")).status_code == 200  # 2 + 2 failures never reached 3 in a row


async def test_deactivated_account_cannot_log_in_and_its_token_stops_working(kernel, client):
    user = await add_user(kernel, "wu", "seat")
    headers = await bearer(client, "wu")
    assert (await client.get("/api/me", headers=headers)).status_code == 200
    async with kernel.sessions() as s:
        (await s.get(User, user.id)).active = False
        await s.commit()
    assert (await client.get("/api/me", headers=headers)).status_code == 401
    assert (await login(client, "wu")).status_code == 401


async def test_role_change_applies_to_existing_tokens(kernel, client):
    user = await add_user(kernel, "zheng", "seat")
    headers = await bearer(client, "zheng")
    async with kernel.sessions() as s:
        (await s.get(User, user.id)).role = "auditor"
        await s.commit()
    assert (await client.get("/api/me", headers=headers)).json()["role"] == "auditor"


async def test_logout_revokes_the_token_and_clears_the_cookie(kernel, client):
    await add_user(kernel, "feng", "seat")
    r = await login(client, "feng")
    token = r.json()["access_token"]
    out = await client.post("/api/auth/logout")
    assert out.status_code == 200 and 'access_token=""' in out.headers["set-cookie"]
    assert (await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401
    assert [r.actor for r in await _audit(kernel, "auth.logout")] == ["feng"]


async def test_logout_without_login_only_clears_the_cookie(client):
    r = await client.post("/api/auth/logout")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


async def test_expired_or_forged_tokens_are_refused(kernel, client):
    user = await add_user(kernel, "chen", "seat")
    secret = kernel.settings.secret_key.get_secret_value()
    expired = issue_token(user, secret, 5, now=utcnow() - timedelta(hours=1))
    forged = issue_token(user, "another-secret-0123456789abcdefghijkl", 5)
    for token in (expired, forged, "not-a-jwt"):
        r = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


async def test_api_key_authenticates_an_integration_and_revoked_key_does_not(kernel, client):
    await add_user(kernel, "admin1", "admin")
    admin = await bearer(client, "admin1")
    created = (await client.post("/api/keys", json={"name": "platform-12348"}, headers=admin)).json()
    me = await client.get("/api/me", headers={"X-API-Key": created["key"]})
    assert me.status_code == 200 and me.json()["role"] == "integration"
    await client.post(f"/api/keys/{created['id']}/revoke", headers=admin)
    assert (await client.get("/api/me", headers={"X-API-Key": created["key"]})).status_code == 401


async def test_a_person_changes_their_own_password_only_with_the_current_one(kernel, client):
    await add_user(kernel, "he", "seat")
    headers = await bearer(client, "he")
    wrong = await client.post("/api/me/password", headers=headers,
                              json={"current_password": "not-it-at-all", "new_password": "Brand-new-12348"})
    assert wrong.status_code == 400 and wrong.json()["detail"]["field"] == "current_password"
    weak = await client.post("/api/me/password", headers=headers,
                             json={"current_password": PASSWORD, "new_password": "short"})
    assert weak.status_code == 422 and weak.json()["detail"]["field"] == "new_password"
    ok = await client.post("/api/me/password", headers=headers,
                           json={"current_password": PASSWORD, "new_password": "Brand-new-12348"})
    assert ok.status_code == 200
    assert (await login(client, "he")).status_code == 401
    assert (await login(client, "he", "Brand-new-12348")).status_code == 200
    outcomes = [(r.action, r.outcome) for r in await _audit(kernel, "user.password")]
    assert outcomes == [("user.password", "denied")]
    assert [r.detail["changes"] for r in await _audit(kernel, "user.update")] == [{"password": "changed"}]
