"""Signing a resident in by a one-time e-mail link, their sessions, signing out.

No password: the link proves the resident reads that mailbox. Asking for a link
answers the same whether an account exists or not (there is none before the first
link is used: it is made then), and the message is the same too. A link is
single-use, valid ``resident_link_minutes``, and kept as a hash; the page behind it
shows a button and only its POST signs in, so that a mail scanner opening the link
uses nothing. Limits per address and per client go through the limits seam.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError

from vigie.db import utcnow
from vigie.errors import NotFound, ServiceUnavailable
from vigie.limits.store import check_rate, store_of
from vigie.notifications import consent
from vigie.notifications.actions import MailKind, notifications_enabled, queue_message, stop_link
from vigie.notifications.messages import compose_plain, ui_lang
from vigie.residents.domain import check_email, secret_hash
from vigie.residents.storage import ResidentRow, ResidentSessionRow, SignInLinkRow
from vigie.runtime import Vigie

log = logging.getLogger(__name__)

HOUR = 3600.0
VALID, USED, EXPIRED, INVALID = "valid", "used", "expired", "invalid"

TEXTS = {
    "fr": {
        "subject": "[{city}] Votre lien de connexion",
        "asked": "Quelqu'un, sans doute vous, a demandé à se connecter à son compte {city} avec cette "
        "adresse. Si aucun compte n'existe encore, il sera créé en ouvrant le lien.",
        "valid": "Le lien ne sert qu'une fois et reste valable {minutes} minutes.",
        "ignore": "Si ce n'est pas vous, ignorez ce message : rien ne se passera.",
        "link": "Se connecter :",
        "why": "Vous recevez ce message parce qu'un lien de connexion a été demandé pour cette adresse.",
        "auto": "Ce message est envoyé automatiquement ; merci de ne pas y répondre.",
    },
    "en": {
        "subject": "[{city}] Your sign-in link",
        "asked": "Someone, probably you, asked to sign in to their {city} account with this address. "
        "If no account exists yet, opening the link creates it.",
        "valid": "The link works once and for {minutes} minutes.",
        "ignore": "If it was not you, ignore this message: nothing will happen.",
        "link": "Sign in:",
        "why": "You are receiving this message because a sign-in link was asked for this address.",
        "auto": "This message was sent automatically; please do not reply.",
    },
}


@dataclass(frozen=True)
class Signed:
    """A resident signed in on one device: the session's cookie and CSRF token."""

    resident_id: int
    email: str
    session: str
    csrf: str
    created: bool  # the account was made by this sign-in


@dataclass(frozen=True)
class Current:
    resident_id: int
    email: str
    lang: str
    csrf: str


def link_path(token: str) -> str:
    return f"/compte/lien/{token}"


def do_request_link(v: Vigie, email: object, lang: str, client: str) -> None:
    """Send a sign-in link to ``email``. The answer never tells whether an account exists:
    past the address's limits nothing is sent, and the caller answers the same. Conflict
    when the address's owner stopped sign-in e-mails less than ``resident_link_stop_days``
    ago (from the stop link of one, whether an account exists or not)."""
    address = check_email(email)
    if not notifications_enabled(v.settings):
        raise ServiceUnavailable("e-mails are turned off here, so accounts cannot be used")
    per_hour = v.settings.resident_links_per_hour
    check_rate(v, f"resident:link:client:{client[:64]}", per_hour * 10, HOUR, "too many sign-in links asked")
    consent.check_asked_not_stopped(v, address, consent.SIGN_IN_PREFIX, "sign-in link")
    digest = consent.address_hash(address)[:40]
    if per_hour > 0 and store_of(v).take(f"resident:link:{digest}", per_hour, HOUR) > 0:
        log.info("sign-in link not sent: the address's hourly limit is reached")
        return
    lang = ui_lang(lang, v.city.default_language)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    minutes = v.settings.resident_link_minutes
    words = TEXTS[lang]
    with v.db.session(write=True) as s:
        if not consent.ever_confirmed(s, address) and consent.take_unconfirmed(v, address) > 0:
            log.info("sign-in link not sent: the unconfirmed address's daily cap is reached")
            return
        # Every sign-in e-mail carries the address's stop link and List-Unsubscribe.
        subscription = consent.asked_subscription(s, address, consent.SIGN_IN_PREFIX)
        message = compose_plain(
            lang=lang,
            subject=words["subject"].format(city=v.city.name),
            paragraphs=[
                "Bonjour," if lang == "fr" else "Hello,",
                words["asked"].format(city=v.city.name),
                words["valid"].format(minutes=minutes),
                words["ignore"],
            ],
            link_label=words["link"],
            link=v.settings.public_base_url.rstrip("/") + link_path(token),
            footer=[v.city.name, words["why"], words["auto"]],
            stop_link=stop_link(v.settings, subscription),
        )
        s.execute(delete(SignInLinkRow).where(SignInLinkRow.expires_at < now))
        s.add(
            SignInLinkRow(
                token_hash=secret_hash(token),
                email=address,
                lang=lang,
                created_at=now,
                expires_at=now + timedelta(minutes=minutes),
            )
        )
        queue_message(
            v,
            s,
            recipient=address,
            lang=lang,
            message=message,
            kind=MailKind.SIGN_IN,
            cause="signin:" + secret_hash(token)[:24],
            token=subscription,
        )
        s.commit()
    log.info("queued a sign-in link")


def link_state(v: Vigie, token: str) -> str:
    """What the link is now (opening it changes nothing)."""
    with v.db.session() as s:
        row = s.scalar(select(SignInLinkRow).where(SignInLinkRow.token_hash == secret_hash(token)))
    if row is None:
        return INVALID
    if row.used_at is not None:
        return USED
    return EXPIRED if row.expires_at <= utcnow() else VALID


def do_sign_in(v: Vigie, token: str, lang: str = "fr") -> Signed:
    """Use the link ``token`` once: the account (made now if new) gets a session."""
    now = utcnow()
    with v.db.session(write=True) as s:
        row = s.scalar(select(SignInLinkRow).where(SignInLinkRow.token_hash == secret_hash(token)))
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise NotFound(
                "this sign-in link is not valid any more (used, expired or incomplete): ask another"
            )
        address, link_lang, link_id = row.email, row.lang, row.id
        used = cast(
            CursorResult[Any],
            s.execute(
                update(SignInLinkRow)
                .where(SignInLinkRow.id == link_id, SignInLinkRow.used_at.is_(None))
                .values(used_at=now, email="")  # the address leaves the link once used
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
        if used != 1:  # another request used it meanwhile
            raise NotFound(
                "this sign-in link is not valid any more (used, expired or incomplete): ask another"
            )
        resident, created = _resident_for(s, address, link_lang or lang)
        resident.signed_in_at = now
        if created:
            # Opening the link proved the address: it counts as confirmed for every e-mail.
            consent.add_consent(s, f"resident:{resident.id}", address, confirmed=True)
        session, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        s.execute(delete(ResidentSessionRow).where(ResidentSessionRow.expires_at < now))
        s.add(
            ResidentSessionRow(
                token_hash=secret_hash(session),
                resident_id=resident.id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + timedelta(days=v.settings.resident_session_days),
            )
        )
        rid = resident.id
        s.commit()
    log.info("resident %s signed in%s", rid, " (new account)" if created else "")
    return Signed(rid, address, session, csrf, created)


def _resident_for(s: Any, address: str, lang: str) -> tuple[ResidentRow, bool]:
    found = s.scalar(select(ResidentRow).where(ResidentRow.email == address))
    if found is not None:
        return found, False
    try:
        with s.begin_nested():
            row = ResidentRow(email=address, lang=lang, created_at=utcnow())
            s.add(row)
        return row, True
    except IntegrityError:  # made at the same moment by another link to the same address
        return s.scalar(select(ResidentRow).where(ResidentRow.email == address)), False


def current(v: Vigie, session: str) -> Current | None:
    """The resident of a session cookie (None: unknown or expired)."""
    if not session or len(session) > 128:
        return None
    with v.db.session() as s:
        found = s.execute(
            select(ResidentRow.id, ResidentRow.email, ResidentRow.lang, ResidentSessionRow.csrf_token)
            .join(ResidentSessionRow, ResidentSessionRow.resident_id == ResidentRow.id)
            .where(
                ResidentSessionRow.token_hash == secret_hash(session),
                ResidentSessionRow.expires_at > utcnow(),
            )
        ).first()
    return Current(found[0], found[1], found[2], found[3]) if found else None


def do_sign_out(v: Vigie, session: str, everywhere: bool = False) -> int:
    """Close this session, or every session of its resident. The number closed."""
    with v.db.session(write=True) as s:
        row = s.scalar(
            select(ResidentSessionRow).where(ResidentSessionRow.token_hash == secret_hash(session))
        )
        if row is None:
            return 0
        where = (
            ResidentSessionRow.resident_id == row.resident_id
            if everywhere
            else ResidentSessionRow.id == row.id
        )
        closed = cast(CursorResult[Any], s.execute(delete(ResidentSessionRow).where(where))).rowcount
        s.commit()
    return max(closed, 0)


def do_expire_sign_ins(v: Vigie) -> dict[str, int]:
    """Retention: sign-in links past their expiry (used or not) and expired sessions go."""
    now = utcnow()
    with v.db.session(write=True) as s:
        links = cast(
            CursorResult[Any], s.execute(delete(SignInLinkRow).where(SignInLinkRow.expires_at < now))
        )
        sessions = cast(
            CursorResult[Any],
            s.execute(delete(ResidentSessionRow).where(ResidentSessionRow.expires_at < now)),
        )
        s.commit()
    return {"links": max(links.rowcount, 0), "sessions": max(sessions.rowcount, 0)}


__all__ = [
    "Current",
    "EXPIRED",
    "INVALID",
    "Signed",
    "USED",
    "VALID",
    "current",
    "do_expire_sign_ins",
    "do_request_link",
    "do_sign_in",
    "do_sign_out",
    "link_path",
    "link_state",
]
