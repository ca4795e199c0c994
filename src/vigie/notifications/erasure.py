"""A resident's right to erasure, without an account: asked by e-mail, confirmed from the e-mail.

Anyone can type an address, so nothing is erased on the asking: the address
gets one message with a link (``HMAC(secret_key, "erase":token)``, like the
confirmation links of ``consent.py``), and only the page's button behind that
link erases. Then, in one transaction, every store Vigie keeps holds a
tombstone where that person's data was: the reports they filed and their
follows (``reports/erasure.py``), the outbox's messages to the address, the
consents' hashes of it, and the request itself (its address emptied). After
the commit the photo files are deleted and the ``.eml`` files of the outbox
(``VIGIE_NOTIFY_TRANSPORT=file``) are overwritten by a tombstone. Logs never
held the address in the first place.

Whether the address is known is never told: the request always answers the
same, and the message only goes out (it is what proves the address is theirs).
"""

from __future__ import annotations

import html
import logging
import os
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from vigie.db import utcnow
from vigie.errors import NotFound, ServiceUnavailable, ValidationFailed
from vigie.events.changes import AddressErased
from vigie.notifications import consent
from vigie.notifications.actions import new_message_id, notifications_enabled
from vigie.notifications.messages import WORDS, ui_lang
from vigie.notifications.sender import FileSender, make_sender
from vigie.notifications.storage import ConsentRow, ErasureRow, MailKind, OutboxRow, OutboxStatus
from vigie.reports.erasure import erase_reporter
from vigie.runtime import Vigie

log = logging.getLogger(__name__)

PURPOSE = "erase"
VALID_FOR = timedelta(days=7)
PENDING, DONE, EXPIRED = "pending", "done", "expired"
ERASED = "erased at the resident's request"  # last_error of the messages an erasure dropped
EML_TOMBSTONE = b"X-Vigie-Erased: yes\r\n\r\nThis message was erased at its recipient's request.\r\n"

TEXTS = {
    "fr": {
        "subject": "[{city}] Confirmez l'effacement de vos données",
        "body": (
            "Bonjour,\n\nQuelqu'un (sans doute vous) a demandé l'effacement des données personnelles "
            "liées à cette adresse : vos coordonnées dans les signalements que vous avez faits, leurs "
            "textes et photos, vos suivis et les courriels qui vous ont été envoyés. Les signalements "
            "eux-mêmes (catégorie, lieu, état) restent, sans rien qui vous désigne.\n\n"
            "Pour effacer, ouvrez ce lien et confirmez (valable 7 jours) :\n{link}\n\n"
            "Si vous n'avez rien demandé, ignorez ce message : rien ne sera effacé.\n\n-- \n{city}"
        ),
    },
    "en": {
        "subject": "[{city}] Confirm the erasure of your data",
        "body": (
            "Hello,\n\nSomeone (probably you) asked for the personal data tied to this address to be "
            "erased: your contact details in the reports you made, their texts and photos, your "
            "follows and the e-mails sent to you. The reports themselves (category, place, status) "
            "stay, with nothing that points to you.\n\n"
            "To erase, open this link and confirm (valid for 7 days):\n{link}\n\n"
            "If you asked for nothing, ignore this message: nothing will be erased.\n\n-- \n{city}"
        ),
    },
}


def erase_path(secret: str, token: str) -> str:
    return f"/courriel/effacer/{token}/{consent.link_code(secret, PURPOSE, token)}"


def check_address(email: str) -> str:
    email = (email or "").strip()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 320 or any(c.isspace() for c in email):
        raise ValidationFailed("email must be an e-mail address (name@domain.tld)", field="email")
    return email


def do_request_erasure(v: Vigie, email: str, lang: str = "fr") -> None:
    """Queue the message whose link confirms the erasure. Nothing is queued, silently, while
    the address's owner has these messages stopped (from the stop link of one; the stop lapses
    after ``resident_link_stop_days``) and past the address's daily cap of messages: a refusal
    told anyone typing the address that someone had asked an erasure for it before, or (the
    cap is shared with the receipts of its reports) that it had reported today."""
    email = check_address(email)
    if not notifications_enabled(v.settings):
        raise ServiceUnavailable("e-mails are turned off here: ask the city to erase your data")
    with v.db.session() as s:
        stopped = consent.asked_stopped_until(
            s, email, consent.ERASURE_PREFIX, v.settings.resident_link_stop_days
        )
    if stopped is not None:
        log.info("erasure confirmation not queued: the address's owner stopped them")
        return
    if consent.take_unconfirmed(v, email) > 0:
        log.info("erasure confirmation not queued: the address's daily cap is reached")
        return
    lang = ui_lang(lang, v.city.default_language)
    token = secrets.token_urlsafe(24)
    base = v.settings.public_base_url.rstrip("/")
    link = base + erase_path(v.settings.secret_key, token)
    words = TEXTS[lang]
    now = utcnow()
    with v.db.session(write=True) as s:
        # Its stop link and List-Unsubscribe, like every Vigie e-mail.
        subscription = consent.asked_subscription(s, email, consent.ERASURE_PREFIX)
        stop = base + consent.stop_path(v.settings.secret_key, subscription)
        body = words["body"].format(link=link, city=v.city.name) + f"\n{WORDS[lang]['stop']}\n{stop}"
        body_html = "<p>" + html.escape(body).replace("\n\n", "</p>\n<p>").replace("\n", "<br>\n") + "</p>"
        s.add(
            ErasureRow(
                token=token,
                email=email,
                address_hash=consent.address_hash(email),
                lang=lang,
                status=PENDING,
                created_at=now,
                counts={},
            )
        )
        s.add(
            OutboxRow(
                report_id=None,
                recipient=email,
                lang=lang,
                subject=words["subject"].format(city=v.city.name)[:500],
                body_text=body,
                body_html=body_html,
                status=OutboxStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                dedupe_key=f"erase:{token}",
                created_at=now,
                message_id=new_message_id(v.settings.mail_from),
                kind=MailKind.ERASURE.value,
                token=subscription,
            )
        )
        s.commit()
    log.info("queued an erasure confirmation")


def erasure_state(v: Vigie, token: str, code: str) -> ErasureRow:
    """The request behind a link (NotFound for a wrong code or an unknown token)."""
    consent.check_code(v.settings.secret_key, PURPOSE, token, code)
    with v.db.session() as s:
        row = s.scalar(select(ErasureRow).where(ErasureRow.token == token))
    if row is None:
        raise NotFound("this link is not valid (it may have been copied incompletely)")
    if row.status == PENDING and utcnow() - row.created_at > VALID_FOR:
        row.status = EXPIRED
    return row


def do_erase(v: Vigie, token: str, code: str) -> ErasureRow:
    """Erase what the request's address left in every store; idempotent (a second use says done)."""
    consent.check_code(v.settings.secret_key, PURPOSE, token, code)
    files: list[tuple[int, str]] = []
    photo_keys: list[str] = []
    with v.db.session(write=True) as s:
        row = s.scalar(select(ErasureRow).where(ErasureRow.token == token))
        if row is None:
            raise NotFound("this link is not valid (it may have been copied incompletely)")
        if row.status != PENDING:
            return row
        if utcnow() - row.created_at > VALID_FOR:
            row.status, row.email = EXPIRED, ""
            s.commit()
            return row
        address = row.email.strip().casefold()
        digest = consent.address_hash(row.email)
        erased = erase_reporter(s, row.email, v.catalogue, row.lang, sender_hash=digest)
        photo_keys = erased.photo_keys
        outbox = list(
            s.execute(
                select(OutboxRow.id, OutboxRow.message_id, OutboxRow.status).where(
                    func.lower(OutboxRow.recipient) == address
                )
            )
        )
        files = [(oid, mid) for oid, mid, _ in outbox if mid]
        for oid, _, status in outbox:
            values: dict[str, Any] = {"recipient": "", "subject": "", "body_text": "", "body_html": None}
            values["changes"] = None
            if status in (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value):
                values.update(status=OutboxStatus.FAILED.value, last_error=ERASED)
            s.execute(update(OutboxRow).where(OutboxRow.id == oid).values(**values))
        consents = s.execute(
            update(ConsentRow).where(ConsentRow.address_hash == digest).values(address_hash="")
        )
        # Other requests for the same address (asked twice): their copies of it go too.
        s.execute(
            update(ErasureRow)
            .where(ErasureRow.address_hash == digest, ErasureRow.id != row.id)
            .values(email="", address_hash="", status=EXPIRED)
        )
        # Contexts above this one (the inbound mail's senders) forget it in this transaction.
        v.messages.stage(s, AddressErased(address))
        row.counts = {
            "reports": erased.reports,
            "follows": erased.follows,
            "replies": erased.replies,
            "photos": erased.photos,
            "messages": len(outbox),
            "consents": int(getattr(consents, "rowcount", 0) or 0),
        }
        row.email, row.address_hash, row.status, row.done_at = "", "", DONE, utcnow()
        s.commit()
        s.refresh(row)
    _after_commit(v, photo_keys, files)
    log.info("erasure %s done: %s", row.id, row.counts)
    return row


def _after_commit(v: Vigie, photo_keys: list[str], files: list[tuple[int, str]]) -> None:
    """Files outside the database: photos (and their renditions) deleted, e-mail files overwritten."""
    for key in photo_keys:
        for suffix in ("", "_t", "_b", "_b_t"):
            try:
                if v.photos.exists(key + suffix):
                    v.photos.delete(key + suffix)
            except Exception:  # noqa: BLE001 - one file must not keep the others
                log.exception("erasure: photo file %s%s could not be deleted", key, suffix)
    sender = make_sender(v.settings)
    if not isinstance(sender, FileSender):
        return
    for outbox_id, message_id in files:
        path = sender.path_for(outbox_id, message_id)
        if path.exists():
            tmp = path.with_name(f".{path.name}.{os.getpid()}.erase")
            tmp.write_bytes(EML_TOMBSTONE)
            os.replace(tmp, path)


__all__ = ["PURPOSE", "do_erase", "do_request_erasure", "erase_path", "erasure_state"]
