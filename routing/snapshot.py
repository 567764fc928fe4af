"""Build the policy's plain-data view from the live state of one node (pure; time passed in)."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from hotline.directory import Directory
from routing.policy import QueueView, Rules, Snapshot
from routing.state import NodeState

ZH = frozenset({"zh"})


def queue_view(q, now: float, languages: Mapping[str, frozenset[str]], avg_handle: float) -> QueueView:
    """One queue's QueueView: staffed/available seats, waiting callers, estimated handle time.

    The member part is memoized on the queue until a member changes (`q.version`) or a seat's wrap-up
    ends (or the clock goes back before the memo): a decision in a 300-seat queue then costs a lookup,
    not a walk over every member."""
    memo = q.memo
    if memo is None or memo[0] != q.version or not memo[1] <= now < memo[2] or memo[3] is not languages:
        memo = q.memo = (q.version, now, *_member_view(q, now, languages))
    staffed, available, langs = memo[4]
    return QueueView(name=q.name, members=len(staffed), available=len(available), waiting=len(q.callers),
                     avg_handle_seconds=avg_handle, available_languages=langs,
                     available_seats=available, staffed_seats=staffed)


def _member_view(q, now: float, languages: Mapping[str, frozenset[str]]) -> tuple:
    """(valid_until, languages, (staffed, available, available languages)) from the queue's indexes at `now`."""
    available = []
    valid_until = float("inf")
    for interface, m in q.idle.items():
        if m.wrapup_until <= now:
            available.append(q.staffed[interface])
        else:  # free once the wrap-up ends: the view holds until then
            valid_until = min(valid_until, m.wrapup_until)
    langs: set[str] = set()
    for ext in available:
        langs.update(languages.get(ext, ZH))
    return valid_until, languages, (frozenset(q.staffed.values()), frozenset(available), frozenset(langs))


class QueueViews(Mapping):
    """Queue views computed on first use: a decision looks at two or three queues, not all of them."""

    def __init__(self, ns: NodeState, now: float, languages: Mapping[str, frozenset[str]],
                 avg_handle: Mapping[str, float] | None = None) -> None:
        self._ns, self._now, self._languages, self._avg = ns, now, languages, avg_handle or {}
        self._cache: dict[str, QueueView] = {}

    def __getitem__(self, name: str) -> QueueView:
        view = self._cache.get(name)
        if view is None:
            q = self._ns.queues[name]
            view = self._cache[name] = queue_view(q, self._now, self._languages, self._avg.get(name, 240.0))
        return view

    def __iter__(self):
        return iter(self._ns.queues)

    def __len__(self) -> int:
        return len(self._ns.queues)


def queue_views(ns: NodeState, now: float, languages: Mapping[str, frozenset[str]],
                avg_handle: Mapping[str, float] | None = None) -> QueueViews:
    """The QueueView of every queue of the node (lazily)."""
    return QueueViews(ns, now, languages, avg_handle)


def rules_from(directory: Directory) -> Rules:
    """Policy rules from the directory's `routing` section, centers and duty roster."""
    r = directory.routing
    return Rules(province_code=directory.province_center.code,
                 center_skills={c.code: frozenset(c.skills) for c in directory.centers},
                 prefecture_max_wait_seconds=r.prefecture_max_wait_seconds,
                 overflow_after_seconds=r.overflow_after_seconds, first_contact_days=r.first_contact_days,
                 callback_offer_after_seconds=r.callback_offer_after_seconds,
                 green_channel_priority=r.green_channel_priority, duty_seats=frozenset(directory.hours.duty_seats))


def seat_languages(directory: Directory) -> dict[str, frozenset[str]]:
    return {s.extension: frozenset(s.languages) for s in directory.seats}


def build_snapshot(ns: NodeState, directory: Directory, now: datetime, *, languages: Mapping[str, frozenset[str]],
                   last_contact: Mapping[str, tuple[str, datetime]], pending_callbacks: frozenset[str],
                   avg_handle: Mapping[str, float] | None = None) -> Snapshot:
    """Everything `decide`/`reconsider` need about one node at `now`."""
    return Snapshot(queues=queue_views(ns, now.timestamp(), languages, avg_handle), is_open=directory.is_open(now),
                    last_contact=last_contact, pending_callbacks=pending_callbacks)
