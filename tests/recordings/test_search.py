"""Transcript search for Chinese text on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm)."""
from __future__ import annotations

import pytest

from hotline.auth import Principal, Role
from recordings.search import BadQueryError, search
from tests.recordings.seed import seed_call, words

ADMIN = Principal("admin", Role.ADMIN)


async def _seed(kernel):
    await seed_call(kernel, "1795901700.1", seat="1001", center="410100",
                    caller=[words("我 想 咨询 离婚 财产 怎么 分割", 2.0)],
                    seat_said=[words("您好 ， 12348 请讲", 0.0), words("离婚 财产 分割 要看 婚前 协议", 5.5)])
    await seed_call(kernel, "1795901700.2", seat="2001", center="410200",
                    caller=[words("工资 被 拖欠 怎么办", 1.0)], seat_said=[words("您好 ， 12348", 0.0)])


async def test_chinese_phrase_is_found_with_speaker_time_and_highlight(kernel):
    await _seed(kernel)
    async with kernel.sessions() as s:
        hits = await search(s, "财产分割", ADMIN)
    assert sorted((h.linkedid, h.speaker, h.start) for h in hits) == [("1795901700.1", "坐席", 5.5)]
    hit = hits[0]
    assert hit.text == "离婚财产分割要看婚前协议" and hit.highlights == [(2, 6)]
    assert "<mark>财产分割</mark>" in hit.snippet
    assert hit.play_url.endswith("/audio#t=5.50") and "t=5.50" in hit.page_url


async def test_two_character_query_and_spaced_query_both_match(kernel):
    await _seed(kernel)
    async with kernel.sessions() as s:
        short = await search(s, "离婚", ADMIN)
        spaced = await search(s, "拖欠 怎么办", ADMIN)
    assert sorted(h.speaker for h in short) == ["坐席", "来电人"]
    assert [h.linkedid for h in spaced] == ["1795901700.2"]


async def test_results_are_limited_to_calls_the_person_may_see(kernel):
    await _seed(kernel)
    async with kernel.sessions() as s:
        seat = await search(s, "12348", Principal("s", Role.SEAT, "410100", "1001"))
        sup = await search(s, "12348", Principal("b", Role.SUPERVISOR, "410200"))
        other = await search(s, "12348", Principal("x", Role.SEAT, "410100", "1009"))
    assert [h.linkedid for h in seat] == ["1795901700.1"]
    assert [h.linkedid for h in sup] == ["1795901700.2"]
    assert other == []


async def test_like_wildcards_and_fts_syntax_in_queries_are_literal(kernel):
    await _seed(kernel)
    async with kernel.sessions() as s:
        assert await search(s, "%", ADMIN) == []
        assert await search(s, '离婚" OR "工资', ADMIN) == []
        with pytest.raises(BadQueryError):
            await search(s, " \x00\r\n ", ADMIN)
