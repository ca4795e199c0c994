"""Reusers' API keys: asked for by e-mail and confirmed from it, or issued by staff; revoked.

Self-service, as data.gouv.fr and Opendatasoft portals do it: anyone may use the
open data APIs without a key, within the anonymous quotas; a heavy reuser asks
for a key with an address and a word on the project, confirms the address from
the e-mail's link, and is shown the key once (only its hash is kept). Staff
(``opendata.keys``) may also issue a key at once (a partner whose address they
know), change a key's quotas, and revoke it. Staff actions are audited, without
the reuser's address.
"""

from __future__ import annotations

import html
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from vigie.accounts.actions import do_audit
from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.db import utcnow
from vigie.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from vigie.events.changes import AddressErased
from vigie.notifications import consent
from vigie.notifications.actions import MailKind, notifications_enabled, queue_message, stop_link
from vigie.notifications.erasure import check_address
from vigie.notifications.messages import WORDS, Composed
from vigie.reusers.domain import MAX_QUOTA, key_hash, new_key
from vigie.reusers.storage import ReuserKeyRow
from vigie.runtime import Vigie

log = logging.getLogger(__name__)

PURPOSE = "reuser-key"
PENDING, ACTIVE, REVOKED = "pending", "active", "revoked"

TEXTS = {
    "fr": {
        "subject": "[{city}] Votre clé d'API pour les données ouvertes",
        "body": (
            "Bonjour,\n\nQuelqu'un (sans doute vous) a demandé une clé d'API pour réutiliser les "
            "données ouvertes de {city}.\n\nPour confirmer votre adresse et "
            "obtenir la clé, ouvrez ce lien (elle ne sera affichée qu'une fois) :\n{link}\n\n"
            "Si vous n'avez rien demandé, ignorez ce message.\n\n-- \n{city}"
        ),
    },
    "en": {
        "subject": "[{city}] Your API key for the open data",
        "body": (
            "Hello,\n\nSomeone (probably you) asked for an API key to reuse the open data of "
            "{city}.\n\nTo confirm your address and get the key, open this "
            "link (the key is shown only once):\n{link}\n\n"
            "If you asked for nothing, ignore this message.\n\n-- \n{city}"
        ),
    },
}


@dataclass(frozen=True)
class ActiveKey:
    id: int
    per_minute: int
    per_day: int


def confirm_path(secret: str, token: str) -> str:
    return f"/donnees/cles/confirmer/{token}/{consent.link_code(secret, PURPOSE, token)}"


def _project(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed("project: say in a few words what the data is for", field="project")
    return " ".join(text.split())[:200]


def _quota(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_QUOTA:
        raise ValidationFailed(f"{name} must be a whole number from 0 (no limit) to {MAX_QUOTA}", field=name)
    return value


def check_request(email: str, project: str) -> tuple[str, str]:
    """A request's address and project, or ValidationFailed naming the field."""
    return check_address(email), _project(project)


def do_request_key(v: Vigie, email: str, project: str, lang: str = "fr") -> None:
    """Record a pending key and e-mail the link that confirms it (the same answer for anyone,
    past the address's daily cap of messages too, when nothing is), in one transaction.
    Conflict while the address's owner has these messages stopped (from the stop link of
    one; the stop lapses after ``resident_link_stop_days``)."""
    email, project = check_request(email, project)
    lang = lang if lang in TEXTS else "fr"
    if not notifications_enabled(v.settings):
        raise ServiceUnavailable("e-mails are turned off here: ask the city's open data team for a key")
    consent.check_asked_not_stopped(v, email, consent.KEY_PREFIX, "API key confirmation")
    if consent.take_unconfirmed(v, email) > 0:
        # Past the address's daily cap of messages to unconfirmed addresses nothing is written
        # nor sent, and the answer is the same: the cap is shared with the receipts of the
        # address's reports, and a refusal told anyone typing it that it had reported today.
        log.info("API key confirmation not queued: the address's daily cap is reached")
        return
    token = secrets.token_urlsafe(24)
    link = v.settings.public_base_url.rstrip("/") + confirm_path(v.settings.secret_key, token)
    words = TEXTS[lang]
    with v.db.session(write=True) as s:
        # Its stop link and List-Unsubscribe, like every Vigie e-mail.
        subscription = consent.asked_subscription(s, email, consent.KEY_PREFIX)
        stop = stop_link(v.settings, subscription)
        # The project's text is not in the message: anyone may type it and any address be asked,
        # which would make the city's mail carry a stranger's words (a link, an offer) to anyone.
        body = words["body"].format(city=v.city.name, link=link)
        body += f"\n{WORDS[lang]['stop']}\n{stop}"
        body_html = "<p>" + html.escape(body).replace("\n\n", "</p>\n<p>").replace("\n", "<br>\n") + "</p>"
        message = Composed(words["subject"].format(city=v.city.name), body, body_html)
        s.add(
            ReuserKeyRow(
                status=PENDING,
                email=email,
                project=project,
                lang=lang,
                confirm_token=token,
                per_minute=v.settings.quota_key_per_minute,
                per_day=v.settings.quota_key_per_day,
                created_at=utcnow(),
            )
        )
        queue_message(
            v,
            s,
            recipient=email,
            lang=lang,
            message=message,
            kind=MailKind.KEY,
            cause=f"key:{token}",
            token=subscription,
        )
        s.commit()
    log.info("queued an API key confirmation")


def check_link(v: Vigie, token: str, code: str) -> None:
    """NotFound unless the link is one Vigie made (its code) for a key still pending."""
    consent.check_code(v.settings.secret_key, PURPOSE, token, code)
    with v.db.session() as s:
        if s.scalar(select(ReuserKeyRow.id).where(ReuserKeyRow.confirm_token == token)) is None:
            raise NotFound("this link was already used or is unknown: ask for a new key")


def do_confirm_key(v: Vigie, token: str, code: str) -> tuple[int, str]:
    """The link was opened: the key becomes active; (its id, its text), shown this once."""
    consent.check_code(v.settings.secret_key, PURPOSE, token, code)
    key = new_key()
    with v.db.session(write=True) as s:
        row = s.scalar(select(ReuserKeyRow).where(ReuserKeyRow.confirm_token == token).with_for_update())
        if row is None:
            raise NotFound("this link was already used or is unknown: ask for a new key")
        row.status = ACTIVE
        row.key_hash = key_hash(key)
        row.prefix = key[:10]
        row.confirm_token = None
        row.confirmed_at = utcnow()
        key_id = row.id
        s.commit()
    return key_id, key


def do_issue_key(
    v: Vigie, agent: Agent | None, email: str, project: str, per_minute: Any = None, per_day: Any = None
) -> tuple[int, str]:
    """Staff issue a key at once (the address is one they know): (its id, its text)."""
    agent = require(agent, "opendata.keys")
    email = check_address(email)
    project = _project(project)
    minute = _quota(v.settings.quota_key_per_minute if per_minute is None else per_minute, "per_minute")
    day = _quota(v.settings.quota_key_per_day if per_day is None else per_day, "per_day")
    key = new_key()
    now = utcnow()
    with v.db.session(write=True) as s:
        row = ReuserKeyRow(
            status=ACTIVE,
            key_hash=key_hash(key),
            prefix=key[:10],
            email=email,
            project=project,
            per_minute=minute,
            per_day=day,
            issued_by=agent.id if not agent.is_system else None,
            created_at=now,
            confirmed_at=now,
        )
        s.add(row)
        s.flush()
        do_audit(
            s, agent, "reuser_key.issue", "reuser_key", str(row.id), {"per_minute": minute, "per_day": day}
        )
        key_id = row.id
        s.commit()
    return key_id, key


def _active(s: Any, key_id: int) -> ReuserKeyRow:
    row = s.get(ReuserKeyRow, key_id, with_for_update=True)
    if row is None or row.status == PENDING:
        raise NotFound(f"no API key {key_id}")
    return row  # type: ignore[no-any-return]


def do_revoke_key(v: Vigie, agent: Agent | None, key_id: int, reason: str = "") -> None:
    agent = require(agent, "opendata.keys")
    with v.db.session(write=True) as s:
        row = _active(s, key_id)
        if row.status == REVOKED:
            raise Conflict(f"API key {key_id} is already revoked")
        row.status = REVOKED
        row.revoked_at = utcnow()
        row.revoked_by = agent.id if not agent.is_system else None
        row.reason = str(reason or "")[:500]
        do_audit(s, agent, "reuser_key.revoke", "reuser_key", str(key_id), {"reason": row.reason})
        s.commit()


def do_set_quota(v: Vigie, agent: Agent | None, key_id: int, per_minute: Any, per_day: Any) -> None:
    agent = require(agent, "opendata.keys")
    minute, day = _quota(per_minute, "per_minute"), _quota(per_day, "per_day")
    with v.db.session(write=True) as s:
        row = _active(s, key_id)
        if row.status == REVOKED:
            raise Conflict(f"API key {key_id} is revoked")
        row.per_minute, row.per_day = minute, day
        do_audit(
            s, agent, "reuser_key.quota", "reuser_key", str(key_id), {"per_minute": minute, "per_day": day}
        )
        s.commit()


def list_keys(v: Vigie, agent: Agent | None) -> list[ReuserKeyRow]:
    """Every confirmed key, newest first (staff: the address is shown to them only)."""
    require(agent, "opendata.keys")
    with v.db.session() as s:
        rows = list(
            s.scalars(
                select(ReuserKeyRow).where(ReuserKeyRow.status != PENDING).order_by(ReuserKeyRow.id.desc())
            )
        )
        for r in rows:
            s.expunge(r)
        return rows


def forget_address(s: Session, event: AddressErased) -> None:
    """Subscriber (in the erasure's transaction) of ``AddressErased``: the address's keys are
    revoked and the address emptied."""
    s.execute(
        update(ReuserKeyRow)
        .where(func.lower(ReuserKeyRow.email) == event.address)
        .values(email="", status=REVOKED, revoked_at=utcnow(), reason="erased at the reuser's request")
        .execution_options(synchronize_session=False)
    )


def active_key(v: Vigie, text: str) -> ActiveKey | None:
    """The active key whose text this is, or None (unknown or revoked). Read on every request,
    as a login is (``accounts.actions.agent_for_token``): a revoked key, or a changed quota, holds
    from its next request on every worker and every machine. A copy kept by each worker for 10 s
    saved one indexed read beside the quota's count, and let a revoked key go on that long."""
    # One statement, three columns: on PostgreSQL one round trip (no BEGIN, no ROLLBACK).
    with v.db.one_statement_connection() as c:
        row = c.execute(
            select(ReuserKeyRow.id, ReuserKeyRow.per_minute, ReuserKeyRow.per_day).where(
                ReuserKeyRow.key_hash == key_hash(text), ReuserKeyRow.status == ACTIVE
            )
        ).first()
    return ActiveKey(row.id, row.per_minute, row.per_day) if row is not None else None


def key_row(v: Vigie, key_id: int) -> ReuserKeyRow:
    with v.db.session() as s:
        row = s.get(ReuserKeyRow, key_id)
        if row is None:
            raise NotFound(f"no API key {key_id}")
        s.expunge(row)
        return row


def when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
