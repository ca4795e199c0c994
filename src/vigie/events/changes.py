"""What the contexts tell each other: one small dataclass per kind of change.

They live here, beside the bus, so that a context subscribing to another's
changes imports this module and not the other context (see
:mod:`vigie.events.messagebus`). ``DomainEvent`` (``domain.py``) is the other
kind of event: what live streams carry to browsers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vigie.reports.storage import FollowerRow, ReportRow, ReportUpdateRow


@dataclass(frozen=True)
class ReportCreated:
    """A report was written (staged in its transaction, then published after commit,
    except for imported history, which is not announced)."""

    report: ReportRow


@dataclass(frozen=True)
class ReportChanged:
    """An agent (or the platform) changed a report; ``update`` is its new history entry.

    Staged only: its after-commit side is the ``report.updated`` DomainEvent.
    """

    report: ReportRow
    update: ReportUpdateRow


@dataclass(frozen=True)
class ReportFollowed:
    """A resident follows ``report`` by e-mail (staged in the follow's transaction: the
    request to confirm the address commits with it, and a refusal rolls it back)."""

    report: ReportRow
    follower: FollowerRow


@dataclass(frozen=True)
class AlarmLinked:
    """An alarm on equipment explains a resident's report (staged in the alarm's transaction).

    ``public_notes`` is the note shown to residents, per language.
    """

    report_id: int
    alarm_id: int
    asset_id: str
    at: datetime
    public_notes: Mapping[str, str]
    internal_note: str
    detail: Mapping[str, Any] = field(default_factory=dict)
