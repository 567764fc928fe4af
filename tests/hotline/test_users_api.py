"""User and API-key administration: validation against the directory, last-admin guard, audit rows."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.models import AuditLog
from tests.hotline.conftest import add_user, bearer


@pytest.fixture
async def admin(kernel, client):
    await add_user(kernel, "admin1", "admin")
    return await bearer(client, "admin1")


async def _actions(kernel) -> list[tuple[str, str, str]]:
    async with kernel.sessions() as s:
        rows = await s.scalars(select(AuditLog).where(
            AuditLog.action != "auth.login", AuditLog.actor != "test-setup").order_by(AuditLog.id))
        return [(r.actor, r.action, r.outcome) for r in rows]


async def test_admin_creates_a_seat_operator_who_can_then_log_in(kernel, client, admin):
    r = await client.post("/api/users", headers=admin, json={
        "username": "seat1001", "password": "Hotline-12348", "role": "seat", "seat_extension": "1001",
        "display_name": "张三"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["center_code"] == "410100"  # taken from the seat's center in the directory
    assert "password" not in body and "password_hash" not in body
    assert (await client.post("/api/auth/token", data={"username": "seat1001", "password": "Hotline-12348"})).status_code == 200
    async with kernel.sessions() as s:
        row = await s.scalar(select(AuditLog).where(AuditLog.action == "user.create", AuditLog.actor == "admin1"))
    assert (row.actor, row.role, row.target_id, row.detail["username"]) == ("admin1", "admin", str(body["id"]), "seat1001")
    assert "password" not in row.detail


@pytest.mark.parametrize(("field", "value"), [
    ("username", "x"), ("username", "张三"), ("username", "bad\nname"), ("password", "short"),
    ("role", "integration"), ("role", "root"), ("center_code", "999999"), ("seat_extension", "9999"),
])
async def test_invalid_accounts_are_refused_naming_the_field(client, admin, field, value):
    body = {"username": "newuser", "password": "Hotline-12348", "role": "seat", field: value}
    r = await client.post("/api/users", headers=admin, json=body)
    assert r.status_code == 422
    assert r.json()["detail"]["field"] == field


async def test_seat_of_another_center_is_refused(client, admin):
    r = await client.post("/api/users", headers=admin, json={
        "username": "x1", "password": "Hotline-12348", "role": "seat", "center_code": "410300", "seat_extension": "1001"})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "seat_extension"


async def test_duplicate_username_is_a_conflict_and_changes_nothing(kernel, client, admin):
    await add_user(kernel, "dup", "seat")
    r = await client.post("/api/users", headers=admin, json={"username": "dup", "password": "Hotline-12348", "role": "auditor"})
    assert r.status_code == 409
    users = (await client.get("/api/users", headers=admin)).json()
    assert [u["role"] for u in users if u["username"] == "dup"] == ["seat"]


async def test_update_changes_role_and_password_and_audits_without_the_password(kernel, client, admin):
    user = await add_user(kernel, "li", "seat")
    r = await client.patch(f"/api/users/{user.id}", headers=admin,
                           json={"role": "supervisor", "center_code": "410000", "password": "New-pass-12348"})
    assert r.status_code == 200 and r.json()["role"] == "supervisor"
    assert (await client.post("/api/auth/token", data={"username": "li", "password": "New-pass-12348"})).status_code == 200
    async with kernel.sessions() as s:
        row = await s.scalar(select(AuditLog).where(AuditLog.action == "user.update"))
    assert row.detail["changes"] == {"role": "supervisor", "center_code": "410000", "password": "changed"}


async def test_unknown_fields_in_an_update_are_refused(kernel, client, admin):
    user = await add_user(kernel, "li", "seat")
    r = await client.patch(f"/api/users/{user.id}", headers=admin, json={"password_hash": "x"})
    assert r.status_code == 422


async def test_deactivate_ends_access_and_is_audited(kernel, client, admin):
    user = await add_user(kernel, "wang", "seat")
    seat = await bearer(client, "wang")
    r = await client.post(f"/api/users/{user.id}/deactivate", headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    assert (await client.get("/api/me", headers=seat)).status_code == 401
    assert ("admin1", "user.deactivate", "ok") in await _actions(kernel)


async def test_the_last_active_admin_cannot_be_removed(kernel, client, admin):
    me = (await client.get("/api/users", headers=admin)).json()[0]
    assert (await client.post(f"/api/users/{me['id']}/deactivate", headers=admin)).status_code == 409
    assert (await client.patch(f"/api/users/{me['id']}", headers=admin, json={"role": "seat"})).status_code == 409
    other = await add_user(kernel, "admin2", "admin")
    assert (await client.post(f"/api/users/{other.id}/deactivate", headers=admin)).status_code == 200


async def test_missing_user_is_not_found(client, admin):
    assert (await client.patch("/api/users/999999", headers=admin, json={"display_name": "x"})).status_code == 404


async def test_api_keys_are_shown_once_listed_without_secret_and_audited(kernel, client, admin):
    created = await client.post("/api/keys", headers=admin, json={"name": "gov12345"})
    assert created.status_code == 201 and created.json()["key"].startswith("hk_")
    listed = (await client.get("/api/keys", headers=admin)).json()
    assert listed[0]["name"] == "gov12345" and "key" not in listed[0]
    assert (await client.post("/api/keys", headers=admin, json={"name": "gov12345"})).status_code == 409
    assert (await client.post("/api/keys", headers=admin, json={"name": "bad name;"})).status_code == 422
    await client.post(f"/api/keys/{created.json()['id']}/revoke", headers=admin)
    actions = [a for _, a, _ in await _actions(kernel)]
    assert actions == ["apikey.create", "apikey.revoke"]


async def test_auditor_reads_the_audit_log_filtered_and_paged(kernel, client, admin):
    await add_user(kernel, "audit1", "auditor")
    auditor = await bearer(client, "audit1")
    rows = (await client.get("/api/audit", headers=auditor, params={"action": "auth.login"})).json()
    assert {r["actor"] for r in rows} == {"admin1", "audit1"}
    first = (await client.get("/api/audit", headers=auditor, params={"limit": 1})).json()
    older = (await client.get("/api/audit", headers=auditor, params={"before_id": first[0]["id"]})).json()
    assert all(r["id"] < first[0]["id"] for r in older) and older
    naive = await client.get("/api/audit", headers=auditor, params={"since": "2026-01-01T00:00:00"})
    assert naive.status_code == 422
