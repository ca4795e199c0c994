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


@dataclass(frozen=True)
class Logged:
    """A notable event for the operations log (main courante).

    A context stages it in the transaction of the change it records
    (``v.messages.stage(s, Logged(...))``), so that the entry commits or rolls back
    with that change; the oplog context writes it. ``service`` is one of
    ``vigie.oplog.domain.SERVICES``; ``visible_to`` the permission a reader needs
    (a camera's alarm or an image extraction is not for every operator).
    """

    service: str
    kind: str
    text_fr: str
    text_en: str = ""
    at: datetime | None = None  # None: now
    actor: str = ""
    actor_id: int | None = None
    ref: str = ""  # what the entry is about: "alarm:12", "extraction:3", "plan:7"…
    severity: str = "info"  # info, notable, urgent
    visible_to: str = "oplog.read"
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AddressErased:
    """A resident's erasure request was carried out (notifications.erasure): every context
    that kept their e-mail address forgets it, in the erasure's transaction."""

    address: str  # lower case
