"""Structured logs and the Prometheus endpoint."""
from __future__ import annotations

import io
import json
import logging

from prometheus_client.parser import text_string_to_metric_families

from hotline.logs import make_handler, setup_logging
from hotline.metrics import route_label
from hotline.settings import Settings
from tests.hotline.conftest import add_user, login


def test_json_logging_writes_one_object_per_line_with_extra_fields():
    stream = io.StringIO()
    logger = logging.getLogger("hotline.test.json")
    handler = make_handler(True, stream)
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    try:
        logger.warning("坐席 %s 示忙", "1001", extra={"seat_extension": "1001", "queue": "q-410100-consult"})
        logger.info("second")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    first = json.loads(lines[0])
    assert first["message"] == "坐席 1001 示忙" and first["level"] == "WARNING"
    assert first["logger"] == "hotline.test.json" and first["queue"] == "q-410100-consult"
    assert "time" in first and json.loads(lines[1])["message"] == "second"


def test_text_logging_is_the_default():
    stream = io.StringIO()
    settings = Settings(_env_file=None)
    root = logging.getLogger()
    before = list(root.handlers)
    setup_logging(settings, stream=stream, force=True)
    try:
        logging.getLogger("hotline.test.text").warning("plain")
        assert "WARNING hotline.test.text: plain" in stream.getvalue()
    finally:
        for h in root.handlers[:]:
            if h not in before:
                root.removeHandler(h)
        root.handlers[:] = before


def test_setup_logging_installs_one_handler_however_often_it_is_called():
    root = logging.getLogger()
    before = list(root.handlers)
    settings = Settings(_env_file=None, log_json=True)
    try:
        setup_logging(settings, stream=io.StringIO(), force=True)
        setup_logging(settings)
        setup_logging(settings)
        assert len([h for h in root.handlers if getattr(h, "_hotline", False)]) == 1
    finally:
        root.handlers[:] = before


async def test_metrics_endpoint_exposes_prometheus_text_with_route_templates(kernel, client):
    await add_user(kernel, "m1", "seat")
    await login(client, "m1", "wrong-password-x")
    await client.get("/healthz")
    await client.get("/api/users/987654")  # 401, labelled by template not by id
    r = await client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    requests = {(s.labels["route"], s.labels["status"]) for s in families["hotline_http_requests"].samples}
    assert ("/healthz", "200") in requests
    assert any(route == "/api/users/{user_id}" for route, _ in requests)
    assert not any("987654" in route for route, _ in requests)
    denied = [s.value for s in families["hotline_logins"].samples
              if s.name == "hotline_logins_total" and s.labels["outcome"] == "denied"]
    assert denied and denied[0] >= 1


def test_unmatched_paths_share_one_label():
    assert route_label({}) == "unmatched"
