"""What the control room shows of the e-mail a report came from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from vigie.inbound.storage import InboundMessageRow
from vigie.runtime import Vigie


def intake_of(v: Vigie, report_id: int, lang: str) -> dict[str, Any] | None:
    """The first e-mail that made report ``report_id``: sender (private: agents only),
    whether SPF/DKIM/DMARC authenticated it, where the place came from, the services
    suggested (to confirm in a keystroke), and what was not kept."""
    with v.db.session() as s:
        row = s.scalar(
            select(InboundMessageRow)
            .where(InboundMessageRow.report_id == report_id, InboundMessageRow.outcome == "report")
            .order_by(InboundMessageRow.id)
            .limit(1)
        )
    if row is None:
        return None
    suggestions = []
    for code in row.suggestions or []:
        service = v.catalogue.service(str(code))
        if service is not None:
            suggestions.append({"code": service.code, "name": service.name.get(lang)})
    return {
        "sender": row.sender,
        "verdict": row.verdict,
        "located": row.located,
        "reason": row.reason,
        "answered": row.answered,
        "suggestions": suggestions[:3],
    }


__all__ = ["intake_of"]
