"""The waste collection reminder: one e-mail the evening before a collection day.

A leader-only periodic job (``vigie.periodic.LeaderJob``) looks every
``waste_reminder_minutes`` for the residents with a reminder whose evening time has
come today and that was not handled for tomorrow yet. Each of them gets **one**
e-mail listing tomorrow's collections of all their reminders (several addresses,
several streams), at the earliest of their times; the collections come from the
waste context, holidays and exceptions applied (a round moved to tomorrow is
reminded, one moved away is not).

An evening missed (the server down at the reminder's time) is caught up at the
first run before midnight: the job asks for every reminder whose time has come,
not for the ones whose time is now. Never after: a reminder is for tomorrow only,
and its outbox message expires when the collection day starts (the outbox worker
never sends it after). Never twice: the reminders are claimed by one conditional
``UPDATE … SET last_for = tomorrow … RETURNING`` in the transaction that queues the
e-mail, so two runs, two workers or a restart between them claim each reminder
once, and the outbox's dedupe key (resident, day, first reminder) makes a replayed
transaction queue nothing.

Messages go through the outbox under the e-mail policy: only to subscriptions whose
address confirmed and did not stop, with the stop link and List-Unsubscribe (their
stop stops the address's reminder e-mails: ``consent.do_stop``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from sqlalchemy import or_, select, update

from vigie.notifications import consent
from vigie.notifications.actions import MailKind, notifications_enabled, queue_message, stop_link
from vigie.notifications.messages import Composed, compose_plain, ui_lang
from vigie.periodic import LeaderJob
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
        "links": "Vos rappels de collecte :",
        "why": "Vous recevez ce message parce que vous avez demandé ce rappel depuis votre compte.",
        "auto": "Ce message est envoyé automatiquement ; merci de ne pas y répondre.",
    },
    "en": {
        "subject": "[{city}] Collection tomorrow: {streams}",
        "tomorrow": "Tomorrow, {day}, collection at {label}: {streams}.",
        "moved": "{stream}: usually on {usual}, moved (public holiday or exception).",
        "link": "The collection days of this address:",
        "links": "Your collection reminders:",
        "why": "You are receiving this message because you asked for this reminder from your account.",
        "auto": "This message was sent automatically; please do not reply.",
    },
}


@dataclass(frozen=True)
class Due:
    """One reminder's collections of tomorrow."""

    label: str
    collections: list[Collection]


def _day(day: date, lang: str) -> str:
    from babel.dates import format_date

    return format_date(day, "EEEE d MMMM", locale="fr_FR" if lang == "fr" else "en_GB")


def compose_reminder(v: Vigie, lang: str, due: list[Due], token: str) -> Composed:
    """One e-mail for all of a resident's reminders of one evening (one paragraph per address)."""
    lang = ui_lang(lang, v.city.default_language)
    words = TEXTS[lang]
    paragraphs = ["Bonjour," if lang == "fr" else "Hello,"]
    streams: dict[str, str] = {}
    for d in due:
        names = ", ".join(c.stream.name(lang) for c in d.collections)
        streams.update((c.stream.code, c.stream.name(lang)) for c in d.collections)
        paragraphs.append(
            words["tomorrow"].format(day=_day(d.collections[0].day, lang), label=d.label, streams=names)
        )
        paragraphs += [
            words["moved"].format(stream=c.stream.name(lang), usual=_day(c.moved_from, lang))
            for c in d.collections
            if c.moved_from
        ]
    base = v.settings.public_base_url.rstrip("/")
    return compose_plain(
        lang=lang,
        subject=words["subject"].format(city=v.city.name, streams=", ".join(streams.values())),
        paragraphs=paragraphs,
        link_label=words["link"] if len(due) == 1 else words["links"],
        link=base + "/dechets?" + urlencode({"q": due[0].label}) if len(due) == 1 else base + "/compte",
        footer=[v.city.name, words["why"], words["auto"]],
        stop_link=stop_link(v.settings, token),
    )


def send_due_reminders(v: Vigie, now: datetime | None = None) -> int:
    """Queue the reminder e-mails due at ``now`` (the city's local time by default): one per
    resident whose reminder time has come today, listing all their collections of tomorrow.
    The number of e-mails queued."""
    rounds = rounds_of(v)
    if rounds is None or not notifications_enabled(v.settings):
        return 0
    local = (now or datetime.now(v.city.timezone)).astimezone(v.city.timezone)
    tomorrow = local.date() + timedelta(days=1)
    # The collection day starts at local midnight: no reminder of it after that.
    starts = datetime.combine(tomorrow, time(0), tzinfo=v.city.timezone)
    not_handled = or_(ReminderRow.last_for.is_(None), ReminderRow.last_for < tomorrow)
    due_residents = (
        select(ReminderRow.resident_id)
        .where(ReminderRow.at <= f"{local:%H:%M}", not_handled)
        .distinct()
        .limit(2000)
    )
    queued = 0
    with v.db.session(write=True) as s:
        # The claim: all the reminders of those residents not handled for tomorrow, whatever
        # their time (one e-mail an evening); a reminder claimed by another run is not returned.
        claimed = s.execute(
            update(ReminderRow)
            .where(ReminderRow.resident_id.in_(due_residents.scalar_subquery()), not_handled)
            .values(last_for=tomorrow)
            .returning(
                ReminderRow.id,
                ReminderRow.resident_id,
                ReminderRow.label,
                ReminderRow.citycode,
                ReminderRow.street,
                ReminderRow.streams,
                ReminderRow.token,
            )
            .execution_options(synchronize_session=False)
        ).all()
        if not claimed:
            return 0
        allowed = consent.allowed_tokens(s, [r.token for r in claimed])
        residents = {
            rid: (email, lang)
            for rid, email, lang in s.execute(
                select(ResidentRow.id, ResidentRow.email, ResidentRow.lang).where(
                    ResidentRow.id.in_(sorted({r.resident_id for r in claimed}))
                )
            )
        }
        mine: dict[int, list[tuple[int, str, Due]]] = {}
        for r in sorted(claimed, key=lambda r: r.id):
            if r.token not in allowed:
                continue  # stopped from the e-mail's link
            zone = rounds.zone_for(r.citycode, r.street)
            if zone is None:
                continue
            wanted = set(r.streams)
            found = [
                c
                for c in rounds.collections(zone, tomorrow, tomorrow, v.city.business_hours.is_holiday)
                if c.stream.code in wanted
            ]
            if found:
                mine.setdefault(r.resident_id, []).append((r.id, r.token, Due(r.label, found)))
        for rid, items in mine.items():
            email, lang = residents[rid]
            first_id, token = items[0][0], items[0][1]
            if queue_message(
                v,
                s,
                recipient=email,
                lang=lang,
                message=compose_reminder(v, lang, [d for _, _, d in items], token),
                kind=MailKind.REMINDER,
                cause=f"wr:{rid}:{tomorrow.isoformat()}:{first_id}",
                token=token,
                expires_at=starts,
            ):
                queued += 1
        s.commit()
    if queued:
        log.info("queued %d waste collection reminder e-mail(s)", queued)
    return queued


def make_background(v: Vigie) -> list[LeaderJob]:
    if not v.settings.waste_rounds:
        return []
    period = v.settings.waste_reminder_minutes * 60
    return [LeaderJob(v, "waste reminders", send_due_reminders, period, first_after=min(period, 60.0))]


__all__ = ["compose_reminder", "make_background", "send_due_reminders"]
