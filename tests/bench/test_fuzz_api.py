"""schemathesis against the full app's OpenAPI: every component's routes, an administrator and a seat.

The app runs in uvicorn on an ephemeral loopback port (role `api`, SQLite in a temp dir). Checks: no 5xx,
and every response conforms to the schema the app publishes.
"""
from __future__ import annotations

import asyncio
import threading
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

SECRET = "fuzz-secret-key-0123456789abcdef0123456789"
# per operation: a few examples in the suite, many with HYPOTHESIS_PROFILE=long
EXAMPLES = max(3, settings().max_examples // 25)
CHECKS = [not_a_server_error, response_schema_conformance]


async def _prepare(tmp) -> dict[str, str]:
    from hotline.auth import hash_password, issue_token
    from hotline.db import make_engine, make_sessionmaker
    from hotline.migrate import upgrade
    from hotline.models import User

    url = f"sqlite+aiosqlite:///{tmp / 'fuzz.db'}"
    await upgrade(url)
    engine = make_engine(url)
    tokens = {}
    async with make_sessionmaker(engine)() as s:
        for name, role, center, ext in (("fuzz-admin", "admin", "410000", None),
                                        ("fuzz-seat", "seat", "410100", "1001")):
            user = User(username=name, password_hash=hash_password("fuzz-password-1"), role=role,
                        center_code=center, seat_extension=ext)
            s.add(user)
            await s.commit()
            await s.refresh(user)
            tokens[role] = issue_token(user, SECRET, 120)
    await engine.dispose()
    tokens["url"] = url
    return tokens


class _Server(threading.Thread):
    """uvicorn serving the full app in its own thread and event loop."""

    def __init__(self, app):
        super().__init__(daemon=True)
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))

    def run(self):
        asyncio.run(self.server.serve())

    @property
    def port(self) -> int:
        return self.server.servers[0].sockets[0].getsockname()[1]


@pytest.fixture(scope="module")
def live_api(tmp_path_factory):
    from hotline.app import create_app
    from hotline.settings import Settings

    tmp = tmp_path_factory.mktemp("fuzz-api")
    tokens = asyncio.run(_prepare(tmp))
    settings_ = Settings(database_url=tokens["url"], var_dir=tmp, recordings_dir=tmp / "recordings",
                         prompts_dir=tmp / "prompts", secret_key=SECRET, redis_url=None, demo_traffic=False,
                         _env_file=None)
    server = _Server(create_app(settings_, roles={"api"}))
    server.start()
    deadline = time.monotonic() + 60
    while not server.server.started:
        assert server.is_alive() and time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    yield {"base": f"http://127.0.0.1:{server.port}", **tokens}
    server.server.should_exit = True
    server.join(15)


def _openapi() -> dict:
    """The schema the full app publishes (every component's routes), built without starting anything."""
    from hotline.app import create_app
    from hotline.settings import Settings

    return create_app(Settings(secret_key=SECRET, redis_url=None, demo_traffic=False, _env_file=None)).openapi()


# schemathesis' lazy `from_fixture` breaks on pytest 9 (it reads Function._nodeid): load the schema at
# import instead and send each case to the live server with `base_url`
schema = schemathesis.openapi.from_dict(_openapi())


def _call(case, base: str, token: str) -> None:
    """Send the case and check it: no server error, the response as the schema says."""
    case.call_and_validate(base_url=base, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck))
def test_admin_requests_never_give_a_server_error_or_break_the_schema(case, live_api):
    _call(case, live_api["base"], live_api["admin"])


@schema.include(method="GET").parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck))
def test_seat_reads_never_give_a_server_error_or_break_the_schema(case, live_api):
    _call(case, live_api["base"], live_api["seat"])
