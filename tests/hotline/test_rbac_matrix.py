"""RBAC matrix over every route of the full app (all components loaded).

Each route that is not in the reviewed PUBLIC list must carry a ``require_roles`` (or
``require_page_roles``) dependency. Then, for anonymous callers and each role: anonymous gets 401
(pages: a redirect to /login, WebSockets: refused), roles outside get 403 (WebSockets: refused),
roles inside get neither (nor a 5xx: sample ids and empty bodies must get a clear 4xx). New routes from later issues join the matrix automatically.
The matrix is written to var/test-artifacts/rbac-matrix.md for review.
"""
from __future__ import annotations

import asyncio
import re

from hotline.app import create_app
from hotline.auth import Role, issue_token
from hotline.routes import effective_routes
from hotline.users import create_api_key
from tests.hotline.conftest import SETUP, add_user

# Reviewed list of routes anyone may call, with the reason. Adding a route here needs review.
PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "liveness probe for the process supervisor",
    ("GET", "/readyz"): "readiness probe for the load balancer",
    ("GET", "/metrics"): "Prometheus scrape; expose only on the internal network",
    ("GET", "/openapi.json"): "API description (no data)",
    ("GET", "/docs"): "API explorer page (no data)",
    ("GET", "/docs/oauth2-redirect"): "API explorer login helper",
    ("GET", "/redoc"): "API reference page (no data)",
    ("GET", "/login"): "the login page",
    ("POST", "/api/auth/token"): "the login itself (rate-limited and audited)",
    ("POST", "/api/auth/logout"): "clears the cookie; revokes the token it is given",
}
# Reviewed routes with a second check after the role (a signature over the body): the allowed
# role may still get 401 from it when the probe sends no signature, never 403.
SIGNED: dict[tuple[str, str], str] = {
    ("POST", "/api/integrations/webhooks/status"): "API key + HMAC-signed body from the 12348 platform / 12345",
    ("POST", "/api/integrations/gov12345/handoffs"): "API key + HMAC-signed body from 12345",
}
PUBLIC_MOUNT_PREFIX = "/static/"  # CSS/JS/images of the shell and consoles, no data
ANONYMOUS = "anonymous"
SAMPLE = "999999"  # a path value that names no record, so allowed calls change nothing


def declared_roles(dependant) -> tuple[frozenset | None, bool]:
    """Roles admitted by the route's dependency tree (intersection) and whether it is a page."""
    allowed, page, stack = None, False, [dependant]
    while stack:
        dep = stack.pop()
        if dep is None:
            continue
        roles = getattr(dep.call, "allowed_roles", None)
        if roles is not None:
            allowed = frozenset(roles) if allowed is None else allowed & frozenset(roles)
            page = page or bool(getattr(dep.call, "page", False))
        stack.extend(dep.dependencies)
    return allowed, page


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", SAMPLE, path)


async def probe(app, kind: str, method: str, path: str, headers: dict[str, str]) -> tuple[str, int, dict]:
    """Call the ASGI app directly and stop at the first response message (streams never block)."""
    raw_headers = [(b"host", b"hotline.test")] + [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    body = b"{}" if method in ("POST", "PUT", "PATCH") else b""
    if body:
        raw_headers.append((b"content-type", b"application/json"))
    scope = {
        "type": kind, "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "http" if kind == "http" else "ws",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": raw_headers,
        "client": ("127.0.0.1", 50000), "server": ("hotline.test", 80), "state": {}, "extensions": {},
    }
    if kind == "http":
        scope["method"] = method
    first: asyncio.Future = asyncio.get_running_loop().create_future()
    sent = {"done": False}

    async def receive():
        if not sent["done"]:
            sent["done"] = True
            return {"type": "http.request", "body": body, "more_body": False} if kind == "http" else {"type": "websocket.connect"}
        await asyncio.sleep(30)
        return {"type": "http.disconnect"} if kind == "http" else {"type": "websocket.disconnect", "code": 1000}

    async def send(message):
        if not first.done():
            first.set_result(message)

    task = asyncio.create_task(app(scope, receive, send))
    try:
        done, _ = await asyncio.wait({first, task}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if first.done():
            msg = first.result()
        elif task in done:
            task.result()  # re-raise an application error
            raise AssertionError(f"{method} {path}: the app sent nothing")
        else:
            raise AssertionError(f"{method} {path}: no response within 10 s")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    hdrs = {k.decode().lower(): v.decode() for k, v in msg.get("headers", [])}
    return msg["type"], msg.get("status", msg.get("code", 0)), hdrs


async def principals(kernel) -> dict[str, dict[str, str]]:
    """Headers for anonymous, one person per role (JWT) and an integration client (API key)."""
    secret, minutes = kernel.settings.secret_key.get_secret_value(), 30
    out: dict[str, dict[str, str]] = {ANONYMOUS: {}}
    for role, extra in ((Role.SEAT, {"seat_extension": "1001"}), (Role.SUPERVISOR, {}), (Role.ADMIN, {}),
                        (Role.AUDITOR, {})):
        user = await add_user(kernel, f"rbac-{role.value}", role.value, **extra)
        out[role.value] = {"Authorization": f"Bearer {issue_token(user, secret, minutes)}"}
    async with kernel.sessions() as s:
        _, key = await create_api_key(s, SETUP, name="rbac-integration")
    out[Role.INTEGRATION.value] = {"X-API-Key": key}
    return out


def judge(route_kind: str, page: bool, inside: bool | None, who: str, result: tuple[str, int, dict],
          signed: bool = False) -> str | None:
    """None when the answer is right for this caller, else what went wrong."""
    msg_type, status, headers = result
    if route_kind == "websocket":
        refused = msg_type in ("websocket.close", "websocket.http.response.start") and \
            (msg_type == "websocket.close" or status in (401, 403))
        accepted_or_other = not refused or (msg_type == "websocket.close" and status not in (1008, 4401, 4403))
        if who == ANONYMOUS or inside is False:
            return None if refused else f"expected refusal, got {msg_type} {status}"
        return None if accepted_or_other else f"expected acceptance, got {msg_type} {status}"
    if inside is None:  # public
        return None if status not in (401, 403) else f"public route answered {status}"
    if who == ANONYMOUS:
        if page:
            ok = status in (302, 303, 307) and headers.get("location", "").startswith("/login")
            return None if ok else f"expected redirect to /login, got {status}"
        return None if status == 401 else f"expected 401, got {status}"
    if not inside:
        return None if status == 403 else f"expected 403, got {status}"
    if status >= 500:  # a made-up id or an empty body must get a clear 4xx, never a crash
        return f"server error {status} on sample input"
    if signed and status == 401:
        return None
    return None if status not in (401, 403) else f"expected access, got {status}"


async def test_every_route_gives_each_role_exactly_its_access(kernel, artifacts):
    app = create_app(kernel=kernel, roles={"api"})  # every component that exists
    async with app.router.lifespan_context(app):
        callers = await principals(kernel)
        problems, rows = [], []
        for route in effective_routes(app):
            if route.kind == "mount":
                if not route.path.startswith(PUBLIC_MOUNT_PREFIX):
                    problems.append(f"mount {route.path}: not reviewed as public")
                continue
            methods = sorted(route.methods - {"HEAD"} or route.methods) if route.kind == "http" else ["WS"]
            allowed, page = declared_roles(route.dependant)
            for method in methods:
                key = (method, route.path)
                if key not in PUBLIC and allowed is None:
                    problems.append(f"{method} {route.path}: no require_roles dependency and not in PUBLIC")
                    continue
                cells = []
                for who, headers in callers.items():
                    if key in PUBLIC and who != ANONYMOUS:
                        cells.append("·")  # public routes are called anonymously (logout would end the login)
                        continue
                    inside = None if key in PUBLIC else (who != ANONYMOUS and Role(who) in allowed)
                    result = await probe(app, "websocket" if method == "WS" else "http",
                                         method, concrete(route.path), headers)
                    wrong = judge(route.kind, page, inside, who, result, signed=key in SIGNED)
                    if wrong:
                        problems.append(f"{method} {route.path} as {who}: {wrong}")
                    shown = "open" if result[0] == "websocket.accept" else str(result[1])
                    cells.append(f"{shown}{'' if not wrong else ' ✗'}")
                roles = "public" if key in PUBLIC else ", ".join(sorted(allowed))
                rows.append(f"| {method} | `{route.path}` | {roles} | " + " | ".join(cells) + " |")
    header = "| method | path | roles | " + " | ".join(callers) + " |\n|" + "---|" * (3 + len(callers))
    (artifacts / "rbac-matrix.md").write_text("# RBAC matrix (status per caller)\n\n" + header + "\n"
                                               + "\n".join(rows) + "\n", encoding="utf-8")
    assert len(rows) >= len(PUBLIC), "the walk found too few routes"
    assert not problems, "RBAC matrix violations:\n" + "\n".join(problems)


def test_public_list_names_only_routes_that_exist(kernel):
    app = create_app(kernel=kernel, roles={"api"})
    present = {(m, r.path) for r in effective_routes(app) for m in r.methods}
    assert set(PUBLIC) <= present, f"stale PUBLIC entries: {set(PUBLIC) - present}"
    assert set(SIGNED) <= present, f"stale SIGNED entries: {set(SIGNED) - present}"


def test_matrix_flags_a_route_without_role_check():
    from fastapi import APIRouter, FastAPI

    app = FastAPI()
    router = APIRouter(prefix="/api/x")

    @router.get("/open")
    async def open_route() -> dict:
        return {}

    app.include_router(router, prefix="/nested")
    routes = {r.path: r for r in effective_routes(app)}
    assert "/nested/api/x/open" in routes
    assert declared_roles(routes["/nested/api/x/open"].dependant) == (None, False)


def test_router_level_role_checks_are_seen_through_nested_includes():
    from fastapi import APIRouter, Depends, FastAPI

    from hotline.auth import require_roles

    app, outer = FastAPI(), APIRouter(prefix="/outer")
    inner = APIRouter(dependencies=[Depends(require_roles(Role.ADMIN, Role.SEAT))])

    @inner.get("/thing", dependencies=[Depends(require_roles(Role.SEAT))])
    async def thing() -> dict:
        return {}

    outer.include_router(inner)
    app.include_router(outer)
    route = next(r for r in effective_routes(app) if r.path == "/outer/thing")
    assert declared_roles(route.dependant) == (frozenset({Role.SEAT}), False)
