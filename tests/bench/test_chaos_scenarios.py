"""The chaos scenarios written in bench/: they hurt only what they started, and count what a fault cost."""
from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from bench.chaos_recordings import _victim
from tests.conftest import postgres_reachable


class _Proc(SimpleNamespace):
    def is_alive(self):
        return self.alive


def test_only_a_live_worker_of_our_own_pool_is_ever_killed():
    pool = SimpleNamespace(procs=[_Proc(pid=4242, alive=True), _Proc(pid=4343, alive=False)])
    assert _victim(pool, "chaos0@host:4242") == 4242
    assert _victim(pool, "chaos1@host:4343") is None  # already dead
    assert _victim(pool, f"other@host:{os.getpid()}") is None  # not one of ours
    assert _victim(pool, "garbage") is None and _victim(pool, "w@h:notapid") is None


@pytest.mark.slow
@pytest.mark.skipif(not postgres_reachable(), reason="needs the PostgreSQL server on 127.0.0.1:5432")
async def test_call_records_survive_postgres_connections_being_killed():
    from bench.chaos_postgres import call_records_run

    report = await call_records_run(kills=2, seconds=3.0, rate=4.0)
    assert report["checked"] >= 3 and report["connections_killed"] >= 1
    assert report["lost"] == 0 and report["duplicated"] == 0, report
    assert report["records_written"] >= report["checked"]
