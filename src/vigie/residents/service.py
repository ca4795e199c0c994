"""The waste collection reminder: an e-mail the evening before a collection day.

A leader-only periodic job (``vigie.periodic.LeaderJob``) looks every
``waste_reminder_minutes`` for the reminders whose evening time has come today
and that were not sent for tomorrow yet; tomorrow's collections of the address's
zone come from the waste context, holidays and exceptions applied (a round moved
to tomorrow is reminded, one moved away is not). Each message goes through the
outbox under the e-mail policy: only to a subscription whose address confirmed and
did not stop, with its stop link and List-Unsubscribe; its dedupe key (reminder,
day) makes a second run queue nothing.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import or_, select

from vigie.notifications import consent
from vigie.notifications.actions import MailKind, notifications_enabled, queue_message, stop_link
from vigie.notifications.messages import Composed, compose_plain, ui_lang
from vigie.periodic import LeaderJob
from vigie.residents.domain import reminder_due
from vigie.residents.storage import ReminderRow, ResidentRow
from vigie.runtime import Vigie
from vigie.waste.domain import Collection
from vigie.waste.service import rounds_of

log = logging.getLogger(__name__)

TEXTS = {
    "fr": {
        "subject": "[{city}] Collecte demain : {streams}",
        "tomorrow": "Demain, {day}, collecte au {label} : {streams}.",
        "moved": "{stream} : jour habituel le {usual}, déplacé (jour férié ou exception).",
        "link": "Les jours de collecte de cette adresse :",
        "why": "Vous recevez ce message parce que vous avez demandé ce rappel depuis votre compte.",
        "auto": "Ce message est envoyé automatiquement ; merci de ne pas y répondre.",
    },
    "en": {
        "subject": "[{city}] Collection tomorrow: {streams}",
        "tomorrow": "Tomorrow, {day}, collection at {label}: {streams}.",
        "moved": "{stream}: usually on {usual}, moved (public holiday or exception).",
        "link": "The collection days of this address:",
        "why": "You are receiving this message because you asked for this reminder from your account.",
        "auto": "This message was sent automatically; please do not reply.",
    },
}


def _day(day: date, lang: str) -> str:
    from babel.dates import format_date

    return format_date(day, "EEEE d MMMM", locale="fr_FR" if lang == "fr" else "en_GB")


def compose_reminder(v: Vigie, lang: str, label: str, found: list[Collection], token: str) -> Composed:
    lang = ui_lang(lang, v.city.default_language)
    words = TEXTS[lang]
    names = ", ".join(c.stream.name(lang) for c in found)
    paragraphs = ["Bonjour," if lang == "fr" else "Hello,"]
    paragraphs.append(words["tomorrow"].format(day=_day(found[0].day, lang), label=label, streams=names))
    paragraphs += [
        words["moved"].format(stream=c.stream.name(lang), usual=_day(c.moved_from, lang))
        for c in found
        if c.moved_from
    ]
    return compose_plain(
        lang=lang,
        subject=words["subject"].format(city=v.city.name, streams=names),
        paragraphs=paragraphs,
        link_label=words["link"],
        link=v.settings.public_base_url.rstrip("/") + "/dechets?" + urlencode({"q": label}),
        footer=[v.city.name, words["why"], words["auto"]],
        stop_link=stop_link(v.settings, token),
    )


def send_due_reminders(v: Vigie, now: datetime | None = None) -> int:
    """Queue the reminders due at ``now`` (the city's local time by default); the number queued."""
    rounds = rounds_of(v)
    if rounds is None or not notifications_enabled(v.settings):
        return 0
    local = (now or datetime.now(v.city.timezone)).astimezone(v.city.timezone)
    hhmm = f"{local:%H:%M}"
    tomorrow = local.date() + timedelta(days=1)
    queued = 0
    with v.db.session(write=True) as s:
        rows = list(
            s.execute(
                select(ReminderRow, ResidentRow.email, ResidentRow.lang)
                .join(ResidentRow, ResidentRow.id == ReminderRow.resident_id)
                .where(
                    ReminderRow.at <= hhmm,
                    or_(ReminderRow.last_for.is_(None), ReminderRow.last_for < tomorrow),
                )
                .order_by(ReminderRow.id)
                .limit(5000)
            ).all()
        )
        allowed = consent.allowed_tokens(s, [r.token for r, _, _ in rows])
        for row, email, lang in rows:
            day = reminder_due(local, row.at, row.last_for)
            if day is None:
                continue
            row.last_for = day
            if row.token not in allowed:
                continue  # stopped from the e-mail's link
            zone = rounds.zone_for(row.citycode, row.street)
            if zone is None:
                continue
            wanted = set(row.streams)
            found = [
                c
                for c in rounds.collections(zone, day, day, v.city.business_hours.is_holiday)
                if c.stream.code in wanted
            ]
            if not found:
                continue
            message = compose_reminder(v, lang, row.label, found, row.token)
            if queue_message(
                v,
                s,
                recipient=email,
                lang=lang,
                message=message,
                kind=MailKind.REMINDER,
                cause=f"wr:{row.id}:{day.isoformat()}",
                token=row.token,
            ):
                queued += 1
        s.commit()
    if queued:
        log.info("queued %d waste collection reminder(s)", queued)
    return queued


def make_background(v: Vigie) -> list[LeaderJob]:
    if not v.settings.waste_rounds:
        return []
    period = v.settings.waste_reminder_minutes * 60
    return [LeaderJob(v, "waste reminders", send_due_reminders, period, first_after=min(period, 60.0))]


__all__ = ["compose_reminder", "make_background", "send_due_reminders"]
