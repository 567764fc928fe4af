"""HTTP API: range playback, audited access, role limits, call detail, search, 质检 review."""
from __future__ import annotations

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select, update

from hotline.app import create_app
from hotline.auth import issue_token
from hotline.models import AuditLog, User
from recordings.component import RecordingsComponent
from recordings.models import QualityScore, Recording
from recordings.store import score_if_complete
from recordings.quality import RuleSet
from tests.recordings.seed import T0, seed_call, words
from tests.http_checks import field_error

PEOPLE = {
    "seat1001": dict(role="seat", center_code="410100", seat_extension="1001"),
    "seat1002": dict(role="seat", center_code="410100", seat_extension="1002"),
    "sup410100": dict(role="supervisor", center_code="410100"),
    "sup410200": dict(role="supervisor", center_code="410200"),
    "auditor": dict(role="auditor"), "admin": dict(role="admin"),
}


@pytest_asyncio.fixture
async def api(kernel):
    from hotline import web

    await seed_call(kernel, "1795901800.1", seat="1001", center="410100",
                    caller=[words("我 想 咨询 离婚", 1.0)], seat_said=[words("您好 ， 12348 请讲", 0.0)])
    async with kernel.sessions() as s:
        users = {name: User(username=name, password_hash="-", active=True, **kw) for name, kw in PEOPLE.items()}
        s.add_all(users.values())
        await s.commit()
    app = create_app(kernel=kernel, components=[web.component, RecordingsComponent()])
    secret = kernel.settings.secret_key.get_secret_value()
    async with app.router.lifespan_context(app):
        def client(name: str) -> httpx.AsyncClient:
            token = issue_token(users[name], secret, 5)
            return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.9", 4000)),
                                     base_url="http://t", headers={"Authorization": f"Bearer {token}"})
        yield client


async def _mix_id(kernel) -> int:
    async with kernel.sessions() as s:
        return await s.scalar(select(Recording.id).where(Recording.leg == "mix"))


async def _audits(kernel, action: str) -> list[AuditLog]:
    async with kernel.sessions() as s:
        return list(await s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


async def test_playback_honours_range_requests_and_every_access_is_audited(api, kernel):
    rid = await _mix_id(kernel)
    async with api("seat1001") as c:
        full = await c.get(f"/api/recordings/{rid}/audio")
        part = await c.get(f"/api/recordings/{rid}/audio", headers={"Range": "bytes=44-1043"})
        dl = await c.get(f"/api/recordings/{rid}/audio", params={"download": "true"})
    assert full.status_code == 200 and full.headers["accept-ranges"] == "bytes" and len(full.content) == 32044
    assert part.status_code == 206 and part.content == full.content[44:1044]
    assert part.headers["content-range"] == "bytes 44-1043/32044"
    assert dl.headers["content-disposition"].startswith("attachment")
    plays = await _audits(kernel, "recording.play")
    assert [(a.actor, a.address, a.detail["range"]) for a in plays] == [("seat1001", "10.0.0.9", ""),
                                                                         ("seat1001", "10.0.0.9", "bytes=44-1043")]
    assert len(await _audits(kernel, "recording.download")) == 1


@pytest.mark.parametrize("who,allowed", [("seat1001", True), ("seat1002", False), ("sup410100", True),
                                         ("sup410200", False), ("auditor", True), ("admin", True)])
async def test_only_the_seat_its_center_supervisors_auditors_and_admins_may_listen(api, kernel, who, allowed):
    rid = await _mix_id(kernel)
    async with api(who) as c:
        r = await c.get(f"/api/recordings/{rid}/audio")
        detail = await c.get("/api/recordings/calls/1795901800.1")
    assert (r.status_code == 200, detail.status_code == 200) == (allowed, allowed)
    if not allowed:
        denied = await _audits(kernel, "recording.play")
        assert denied[-1].outcome == "denied" and denied[-1].actor == who


async def test_a_stored_path_leading_outside_the_store_is_refused(api, kernel):
    rid = await _mix_id(kernel)
    async with kernel.sessions() as s:
        await s.execute(update(Recording).where(Recording.id == rid).values(relpath="../../../../etc/passwd"))
        await s.commit()
    async with api("admin") as c:
        r = await c.get(f"/api/recordings/{rid}/audio")
    assert r.status_code == 403 and "outside" in r.json()["detail"]
    assert (await _audits(kernel, "recording.play"))[-1].outcome == "refused"


async def test_call_detail_has_the_merged_timeline_with_speaker_labels(api):
    async with api("sup410100") as c:
        d = (await c.get("/api/recordings/calls/1795901800.1")).json()
    assert [(s["speaker"], s["text"]) for s in d["timeline"]] == [("坐席", "您好，12348请讲"), ("来电人", "我想咨询离婚")]
    assert {r["leg"] for r in d["recordings"]} == {"mix", "in", "out"}


async def test_search_endpoint_returns_hits_and_rejects_empty_queries(api):
    async with api("seat1001") as c:
        ok = await c.get("/api/transcripts/search", params={"q": "咨询离婚"})
        bad = await c.get("/api/transcripts/search", params={"q": "  "})
    assert [h["speaker"] for h in ok.json()["hits"]] == ["来电人"]
    assert "请输入检索词" in field_error(bad, "query", "q")


async def test_an_empty_or_unusable_search_query_is_a_validation_error_naming_q(api, kernel):
    async with api("seat1001") as c:
        empty = await c.get("/api/transcripts/search?q=")
        control = await c.get("/api/transcripts/search", params={"q": "\x01\x02"})
        missing = await c.get("/api/transcripts/search")
        long = await c.get("/api/transcripts/search", params={"q": "咨" * 201})
        too_long = await c.get("/api/transcripts/search", params={"q": "咨" * 65})
    assert "请输入检索词" in field_error(empty, "query", "q")
    assert "请输入检索词" in field_error(control, "query", "q")
    assert field_error(missing, "query", "q") and field_error(long, "query", "q")
    assert "检索词过长" in field_error(too_long, "query", "q")
    assert await _audits(kernel, "transcript.search") == []  # refused before anything is searched or audited


async def test_supervisor_reviews_a_sampled_call_of_their_center_only(api, kernel):
    async with kernel.sessions() as s:
        scored = await score_if_complete(s, "1795901800.1", RuleSet(), T0, draw=0.0)
    assert scored.sampled and scored.review_state == "pending"
    async with api("sup410100") as c:
        pending = (await c.get("/api/recordings/qa")).json()
        ok = await c.post("/api/recordings/qa/1795901800.1/review", json={"score": 85, "comment": "开场规范，结束语缺失"})
        bad = await c.post("/api/recordings/qa/1795901800.1/review", json={"score": 101})
        control = await c.post("/api/recordings/qa/1795901800.1/review", json={"score": 60, "comment": "好\x1b[2J"})
    async with api("sup410200") as c:
        other = await c.post("/api/recordings/qa/1795901800.1/review", json={"score": 10})
    async with api("seat1001") as c:
        seat = await c.post("/api/recordings/qa/1795901800.1/review", json={"score": 100})
    assert [p["linkedid"] for p in pending] == ["1795901800.1"]
    assert ok.status_code == 200 and ok.json()["review_state"] == "reviewed"
    assert (bad.status_code, other.status_code, seat.status_code) == (422, 403, 403)
    assert "控制字符" in field_error(control, "body", "comment")
    async with kernel.sessions() as s:
        row = await s.scalar(select(QualityScore))
    assert (row.review_score, row.reviewer) == (85, "sup410100")
    assert len(await _audits(kernel, "qa.review")) == 1


async def test_review_page_is_served_in_chinese_to_supervisors(api):
    async with api("sup410100") as c:
        page = await c.get("/recordings/review")
    async with api("seat1001") as c:
        seat = await c.get("/recordings/review")
    assert page.status_code == 200 and "质检复核" in page.text and "review.js" in page.text
    assert seat.status_code == 403
