"""Full-text search over transcript segments (Chinese-aware): SQLite FTS5 trigram, PostgreSQL pg_trgm."""
from __future__ import annotations

import html
from dataclasses import dataclass, field

from sqlalchemy import Integer, column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.auth import Principal
from recordings.access import owner_filter
from recordings.models import RecordedCall, Recording, TranscriptSegment
from recordings.transcripts import normalise_text

MAX_QUERY = 64


class BadQueryError(ValueError):
    """An empty or unusable search query."""


@dataclass(frozen=True)
class Hit:
    """One matching utterance, with where to play it from."""

    linkedid: str
    speaker: str
    start: float
    end: float
    text: str
    highlights: list[tuple[int, int]] = field(default_factory=list)
    snippet: str = ""
    recording_id: int | None = None
    play_url: str | None = None
    page_url: str = ""


def clean_query(raw: str) -> str:
    """The query as searched: control characters dropped, spaces between Han removed; BadQueryError if empty/long."""
    q = normalise_text("".join(c for c in (raw or "") if c.isprintable()))
    if not q:
        raise BadQueryError("请输入检索词 (empty query)")
    if len(q) > MAX_QUERY:
        raise BadQueryError(f"检索词过长 (query longer than {MAX_QUERY} characters)")
    return q


def highlight_spans(haystack: str, needle: str) -> list[tuple[int, int]]:
    """Non-overlapping case-insensitive occurrences of `needle` as (start, end) offsets."""
    low, n = haystack.casefold(), needle.casefold()
    out, i = [], low.find(n)
    while n and i >= 0:
        out.append((i, i + len(n)))
        i = low.find(n, i + len(n))
    return out


def snippet_html(haystack: str, spans: list[tuple[int, int]], context: int = 30) -> str:
    """An escaped excerpt around the first hit with every hit inside it wrapped in <mark>."""
    if not spans:
        return html.escape(haystack[: 2 * context])
    lo, hi = max(0, spans[0][0] - context), min(len(haystack), spans[0][1] + context)
    parts, cursor = ["…" if lo else ""], lo
    for s, e in spans:
        if s < lo or e > hi:
            continue
        parts += [html.escape(haystack[cursor:s]), "<mark>", html.escape(haystack[s:e]), "</mark>"]
        cursor = e
    parts += [html.escape(haystack[cursor:hi]), "…" if hi < len(haystack) else ""]
    return "".join(parts)


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _matching_ids(dialect: str, q: str):
    """Ids of matching segments: FTS5 MATCH on SQLite, ILIKE served by the trigram GIN index on PostgreSQL."""
    if dialect == "sqlite" and len(q) >= 3:
        # the trigram tokenizer needs three characters; shorter queries fall back to LIKE below
        phrase = '"' + q.replace('"', '""') + '"'
        return (text("SELECT rowid FROM transcript_segments_fts WHERE transcript_segments_fts MATCH :m")
                .bindparams(m=phrase).columns(column("rowid", Integer)))
    op = TranscriptSegment.text.ilike if dialect == "postgresql" else TranscriptSegment.text.like
    return select(TranscriptSegment.id).where(op(_like(q), escape="\\"))


async def search(session: AsyncSession, raw_query: str, principal: Principal, limit: int = 50,
                 offset: int = 0) -> list[Hit]:
    """Utterances matching the query in calls `principal` may see, newest call first."""
    q = clean_query(raw_query)
    matching = _matching_ids(session.bind.dialect.name, q)
    stmt = (select(TranscriptSegment).join(RecordedCall, RecordedCall.linkedid == TranscriptSegment.linkedid, isouter=True)
            .where(TranscriptSegment.id.in_(matching))
            .order_by(TranscriptSegment.id.desc()).limit(limit).offset(offset))
    cond = owner_filter(principal)
    if cond is not None:
        stmt = stmt.where(cond)
    rows = list(await session.scalars(stmt))
    mix = dict((await session.execute(select(Recording.linkedid, Recording.id).where(
        Recording.linkedid.in_({r.linkedid for r in rows}), Recording.leg == "mix", Recording.status == "ok"))).all())
    hits = []
    for r in rows:
        spans = highlight_spans(r.text, q)
        rid = mix.get(r.linkedid)
        # jump-to-time: a media fragment on the audio URL, and the review page opened at that second
        hits.append(Hit(r.linkedid, r.speaker, r.start_s, r.end_s, r.text, spans, snippet_html(r.text, spans), rid,
                        f"/api/recordings/{rid}/audio#t={r.start_s:.2f}" if rid else None,
                        f"/recordings/review?linkedid={r.linkedid}&t={r.start_s:.2f}"))
    return hits
