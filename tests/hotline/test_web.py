"""Web shell: shared templates, per-package static files, page auth redirects, landing by role."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, Request

from hotline.app import create_app
from hotline.auth import Principal, Role, issue_token, require_page_roles
from hotline.db import utcnow
from hotline.web import component as web_component
from hotline.web import environment, render, safe_next
from tests.hotline.conftest import add_user, bearer, client_for, login


def test_base_layout_is_zh_cn_with_12348_branding_and_local_assets_only():
    html = environment.get_template("login.html").render(brand="河南省12348公共法律服务热线", next="", nav=[])
    assert '<html lang="zh-CN">' in html and "12348" in html and "登录" in html
    assert "http://" not in html and "https://" not in html and "//cdn" not in html


def test_package_templates_resolve_by_prefix_or_by_subfolder(tmp_path, monkeypatch):
    import hotline.web as web

    for rel, text in {"hotline/templates/base.html": "BASE[{% block content %}{% endblock %}]",
                      "seats/templates/console.html": "{% extends 'base.html' %}{% block content %}seat{% endblock %}",
                      "ivr/templates/ivr/flow.html": "{% extends 'base.html' %}{% block content %}ivr{% endblock %}"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    monkeypatch.setattr(web, "ROOT", tmp_path)
    from jinja2 import Environment

    env = Environment(loader=web._loader())
    assert env.get_template("seats/console.html").render() == "BASE[seat]"  # <pkg>/templates/console.html
    assert env.get_template("ivr/flow.html").render() == "BASE[ivr]"  # <pkg>/templates/<pkg>/flow.html


@pytest.mark.parametrize(("value", "expected"), [
    ("/seat", "/seat"), ("/reports?day=2026-03-02", "/reports?day=2026-03-02"),
    ("//evil.example/x", None), ("https://evil.example", None), ("/\\evil", None),
    ("/seat\r\nSet-Cookie: x", None), ("", None), (None, None), ("seat", None),
])
def test_only_local_paths_are_accepted_as_the_post_login_target(value, expected):
    assert safe_next(value) == expected


async def test_static_files_are_served_per_package(client):
    css = await client.get("/static/hotline/app.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert (await client.get("/static/hotline/ws.js")).status_code == 200
    assert (await client.get("/static/hotline/../settings.py")).status_code == 404


async def test_login_page_renders_and_keeps_a_safe_next_target(client):
    r = await client.get("/login", params={"next": "/admin/users"})
    assert r.status_code == 200 and 'data-next="/admin/users"' in r.text and "系统登录" in r.text
    evil = await client.get("/login", params={"next": "//evil.example"})
    assert 'data-next=""' in evil.text


async def test_pages_send_a_browser_without_login_to_the_login_page(client):
    r = await client.get("/admin/users")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/admin/users"


async def test_expired_cookie_also_redirects_to_login(kernel, client):
    user = await add_user(kernel, "old", "admin")
    token = issue_token(user, kernel.settings.secret_key.get_secret_value(), 1, now=utcnow() - timedelta(hours=2))
    client.cookies.set("access_token", token)
    r = await client.get("/admin/users")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


async def test_a_page_outside_the_role_renders_a_403_page_in_chinese(kernel, client):
    await add_user(kernel, "s1", "seat", seat_extension="1001")
    await login(client, "s1")
    r = await client.get("/admin/users")
    assert r.status_code == 403 and "无权访问" in r.text and "管理员" in r.text


async def test_landing_redirects_each_role_to_its_console_when_installed(kernel):
    router = APIRouter()

    @router.get("/seat")
    async def seat_page(request: Request, p: Annotated[Principal, Depends(require_page_roles(Role.SEAT))]):
        return render(request, "home.html", principal=p)

    class SeatPages:
        name = "seat-pages"

        def routers(self):
            return [router]

        async def start(self, kernel, roles):
            return None

        async def stop(self):
            return None

    app = create_app(kernel=kernel, components=[web_component, SeatPages()])
    async with app.router.lifespan_context(app):
        await add_user(kernel, "s2", "seat", seat_extension="1002")
        await add_user(kernel, "a2", "admin")
        async with client_for(app) as c:
            token = await login(c, "s2")
            assert token.json()["home"] == "/seat"
            r = await c.get("/")
            assert r.status_code == 303 and r.headers["location"] == "/seat"
            page = await c.get("/seat")
            assert 'href="/seat"' in page.text and "坐席工作台" in page.text  # nav shows the installed console
            assert "用户管理" not in page.text  # and hides pages the seat may not open
            c.cookies.clear()
            await login(c, "a2")
            assert (await c.get("/")).headers["location"] == "/admin/users"


async def test_landing_shows_the_shell_when_no_console_is_installed(kernel, client):
    await add_user(kernel, "sup", "supervisor")
    await login(client, "sup")
    r = await client.get("/")
    assert r.status_code == 200 and "欢迎，sup" in r.text and "班长" in r.text


async def test_me_needs_a_login(client):
    assert (await client.get("/api/me")).status_code == 401


async def test_admin_pages_render_for_admins(kernel, client):
    await add_user(kernel, "adm", "admin")
    headers = await bearer(client, "adm")
    users = await client.get("/admin/users", headers=headers)
    assert users.status_code == 200 and "用户列表" in users.text and "郑州市12348热线中心" in users.text
    audit = await client.get("/admin/audit", headers=headers)
    assert audit.status_code == 200 and "审计日志" in audit.text


async def test_every_answer_carries_the_security_headers(client):
    for path in ("/login", "/api/me", "/static/hotline/app.css", "/healthz"):
        r = await client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["x-frame-options"] == "SAMEORIGIN" and r.headers["referrer-policy"] == "same-origin"
