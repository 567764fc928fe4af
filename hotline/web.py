"""Web shell shared by every package: one Jinja2 environment, static files per package at
``/static/<pkg>/…``, the zh-CN ``base.html`` layout, the login page and the landing redirect.

Packages keep ``<pkg>/templates/`` and ``<pkg>/static/``; a page template is named
``"<pkg>/<file>.html"`` (found in ``<pkg>/templates/<file>.html``) and extends ``"base.html"``.
A page route declares ``Depends(require_page_roles(...))`` and returns ``render(request, ...)``.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape

from hotline.auth import ROLE_LABELS, LoginRequired, PageForbidden, Principal, Role
from hotline.routes import effective_routes

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hotline", "ivr", "routing", "seats", "recordings", "integrations", "supervisor", "pbxsim")
# Top navigation: shown only when the page exists in this app and the person's role may open it.
NAV = (("坐席工作台", "/seat"), ("监控大屏", "/wallboard"), ("报表", "/reports"), ("管理", "/admin"),
       ("用户管理", "/admin/users"), ("审计日志", "/admin/audit"))
HOME_BY_ROLE = {
    Role.SEAT: ("/seat",),
    Role.SUPERVISOR: ("/wallboard", "/reports"),
    Role.ADMIN: ("/admin", "/admin/users"),
    Role.AUDITOR: ("/reports", "/admin/audit"),
    Role.INTEGRATION: (),
}
_SAFE_NEXT = re.compile(r"^/(?![/\\])[^\s\\]*$")


def _loader() -> ChoiceLoader:
    dirs = [str(ROOT / p / "templates") for p in PACKAGES]
    return ChoiceLoader([
        FileSystemLoader(dirs),  # "base.html", and "<pkg>/x.html" kept under <pkg>/templates/<pkg>/
        PrefixLoader({p: FileSystemLoader(str(ROOT / p / "templates")) for p in PACKAGES}),
    ])


environment = Environment(loader=_loader(), autoescape=select_autoescape(("html", "xml")),
                          trim_blocks=True, lstrip_blocks=True)
templates = Jinja2Templates(env=environment)


def static_url(package: str, path: str) -> str:
    """URL of a package's static file, versioned by its mtime so browsers never run stale JS."""
    file = ROOT / package / "static" / path
    version = int(file.stat().st_mtime) if file.is_file() else 0
    return f"/static/{package}/{path}?v={version}"


environment.globals["static_url"] = static_url


def route_access(dependant: Any) -> tuple[frozenset[Role] | None, bool]:
    """(roles a route's dependencies admit, or None if it declares none; whether it is a page)."""
    allowed: frozenset[Role] | None = None
    page = False
    stack = [dependant]
    while stack:
        dep = stack.pop()
        if dep is None:
            continue
        roles = getattr(dep.call, "allowed_roles", None)
        if roles is not None:
            allowed = roles if allowed is None else allowed & roles
            page = page or bool(getattr(dep.call, "page", False))
        stack.extend(dep.dependencies)
    return allowed, page


def _page_table(app: FastAPI) -> dict[str, frozenset[Role]]:
    """GET path → roles, built once per app (routes are fixed once the app is created)."""
    table = getattr(app.state, "hotline_pages", None)
    if table is None:
        table = {}
        for route in effective_routes(app):
            if "GET" in route.methods and route.path not in table:
                allowed, _ = route_access(route.dependant)
                table[route.path] = allowed if allowed is not None else frozenset(Role)
        app.state.hotline_pages = table
    return table


def page_roles(app: FastAPI, path: str) -> frozenset[Role] | None:
    """Roles that may open the GET page at `path`, or None when the app has no such page."""
    return _page_table(app).get(path)


def home_path(app: FastAPI, role: Role) -> str:
    """The first console page of `role` that this app serves, else the shell's landing page."""
    for path in HOME_BY_ROLE.get(role, ()):
        roles = page_roles(app, path)
        if roles is not None and role in roles:
            return path
    return "/"


def nav_items(app: FastAPI, principal: Principal | None, current: str = "") -> list[dict[str, Any]]:
    """Navigation entries this person may open."""
    if principal is None:
        return []
    out = []
    for label, path in NAV:
        roles = page_roles(app, path)
        if roles is not None and principal.role in roles:
            out.append({"label": label, "path": path, "active": current == path or current.startswith(path + "/")})
    return out


def safe_next(value: str | None) -> str | None:
    """A post-login target: a local path only (never another site)."""
    if value and len(value) <= 512 and _SAFE_NEXT.fullmatch(value) and not any(ord(ch) < 32 for ch in value):
        return value
    return None


def brand(request: Request) -> str:
    """The hotline's name as the header shows it, e.g. 河南省12348公共法律服务热线."""
    kernel = getattr(request.app.state, "kernel", None)
    province = kernel.directory.province.name if kernel else ""
    return f"{province}12348公共法律服务热线"


def render(request: Request, name: str, context: dict[str, Any] | None = None, *,
           principal: Principal | None = None, status_code: int = 200) -> HTMLResponse:
    """Render a page extending base.html, with header, navigation and the logged-in person."""
    center = None
    kernel = getattr(request.app.state, "kernel", None)
    if principal and principal.center_code and kernel:
        center = kernel.directory.center(principal.center_code)
    ctx = {
        "principal": principal, "role_label": ROLE_LABELS.get(principal.role) if principal else None,
        "center_name": center.name if center else None, "brand": brand(request),
        "nav": nav_items(request.app, principal, request.url.path), **(context or {}),
    }
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),  # a JSON or text answer is never run as a script
    (b"x-frame-options", b"SAMEORIGIN"),  # consoles cannot be framed by another site (clickjacking)
    (b"referrer-policy", b"same-origin"),  # ticket numbers in URLs stay inside the system
)


class SecurityHeadersMiddleware:
    """Pure ASGI middleware adding the shell's security headers to every HTTP response."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def _send(message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, _send)


def install(app: FastAPI) -> None:
    """Mount every package's static directory, add security headers, turn page-auth failures into pages."""
    app.add_middleware(SecurityHeadersMiddleware)
    for package in PACKAGES:
        folder = ROOT / package / "static"
        if folder.is_dir():
            app.mount(f"/static/{package}", StaticFiles(directory=folder), name=f"static-{package}")

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> HTMLResponse:
        allowed = "、".join(ROLE_LABELS[r] for r in Role if r in exc.allowed)
        return render(request, "error.html", {"title": "无权访问", "message": f"此页面仅限{allowed}使用。"},
                      principal=exc.principal, status_code=403)


class WebComponent:
    """The shell as a component: login/logout/me, user administration, audit log and pages."""

    name = "hotline"

    def routers(self) -> list:
        from hotline import api_auth, api_users, pages

        return [api_auth.router, api_users.router, pages.router]

    async def start(self, kernel: Any, roles: set[str]) -> None:
        return None

    async def stop(self) -> None:
        return None


component = WebComponent()
