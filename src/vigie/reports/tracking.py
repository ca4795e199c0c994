"""What a tracking token shows: the resident's view of a report they filed or follow.

The rule (issue 15). A report that is not public (a sensitive service) is shown
in full only to its own reporter, through the token given when it was filed.
Through any other token — a follower's, or that of a report merged into it —
only its reference, status and dates are shown (:data:`RESTRICTED_FIELDS`),
with a history stripped of notes: a public report may be merged into a
non-public one, and its reporter and followers then learn when the kept report
moves, never what it says, where it is or what it looks like. Photos of a
non-public report are served to agents only (``/api/v1/photos``), so even its
own reporter's view lists none. The tracking API, the tracking page and the
live stream (``vigie.app.streams``) all follow this rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from vigie.errors import NotFound
from vigie.events.domain import RESTRICTED_FIELDS
from vigie.reports.publication import creation_media_shown
from vigie.reports.storage import FollowerRow, PhotoRow, ReportRow
from vigie.reports.views import public_view, update_view
from vigie.runtime import Vigie


@dataclass(frozen=True)
class Tracked:
    """The report a tracking token leads to, and whether the token is its reporter's own."""

    row: ReportRow
    own: bool

    @property
    def in_full(self) -> bool:
        return shown_in_full(self.row, self.own)


def shown_in_full(row: ReportRow, own: bool) -> bool:
    return row.public or own


def find_tracked(v: Vigie, token: str) -> Tracked:
    with v.db.session() as s:
        row = s.scalar(select(ReportRow).where(ReportRow.token == token))
        if row is not None:
            return Tracked(row, own=True)
        follower = s.scalar(select(FollowerRow).where(FollowerRow.token == token))
        if follower is not None:
            row = s.get(ReportRow, follower.report_id)
    if row is None:
        raise NotFound("no report for this tracking token")
    return Tracked(row, own=False)


def restricted(view: dict[str, Any]) -> dict[str, Any]:
    """A report's view cut down to what any token holder may see."""
    out = {k: view[k] for k in RESTRICTED_FIELDS if k in view}
    out["restricted"] = True
    return out


def report_view(v: Vigie, row: ReportRow, in_full: bool, lang: str, base: str = "") -> dict[str, Any]:
    """The view of ``row`` for a resident (``in_full`` from :func:`shown_in_full`), with its history."""
    policy = v.city.publication
    view = public_view(row, v.catalogue, lang, base, policy=policy)
    media = creation_media_shown(policy, row.public_checked_at is not None)
    from vigie.reports.actions import report_updates

    updates = report_updates(v, row.id)
    if not in_full:
        view = restricted(view)
        view["history"] = [
            {**update_view(u, False, policy), "public_note": "", "media": []}
            for u in updates
            if u.kind != "alarm_link"
        ]
        return view
    view["history"] = [update_view(u, False, policy, media) for u in updates]
    if not row.public:
        view["photos"] = []  # agents only
        for entry in view["history"]:
            entry.pop("media", None)
    return view


def tracking_view(v: Vigie, tracked: Tracked, lang: str, base: str = "") -> dict[str, Any]:
    """What ``/api/v1/track/{token}`` answers: the report, and the one it was merged into."""
    from vigie.reports.actions import get_report

    view = report_view(v, tracked.row, tracked.in_full, lang, base)
    if tracked.row.duplicate_of_id:
        kept = get_report(v, tracked.row.duplicate_of_id)
        kept_view = public_view(kept, v.catalogue, lang, base, policy=v.city.publication)
        view["kept_report"] = kept_view if kept.public else restricted(kept_view)
    return view


@dataclass(frozen=True)
class PhotoOwner:
    """What decides who may see a photo: its report's visibility and assignee, its kind
    (a resident's or an agent's) and an operator's moderation of it."""

    public: bool
    assigned_user_id: int | None
    kind: str
    moderation: str


def photo_owner(v: Vigie, key: str) -> PhotoOwner | None:
    """Who may see photo ``key``; None for an unknown photo (a non-public report's photo
    follows the report's own visibility rules)."""
    with v.db.session() as s:
        found = s.execute(
            select(ReportRow.public, ReportRow.assigned_user_id, PhotoRow.kind, PhotoRow.moderation)
            .join(PhotoRow, PhotoRow.report_id == ReportRow.id)
            .where(PhotoRow.key == key)
        ).first()
    return None if found is None else PhotoOwner(bool(found[0]), found[1], found[2], found[3] or "")
