"""Wording of the e-mails to residents (French and English). Plain Python, no I/O.

The procedure's template (``Procedure.messages[status]``) is the heart of each
message; this module adds the subject, the greeting, the agent's public note,
the tracking link and the footer in the recipient's language.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

# Languages this module can write; any other falls back (see ``ui_lang``).
STATUS_NAMES: dict[str, dict[str, str]] = {
    "fr": {
        "new": "enregistré",
        "acknowledged": "pris en compte",
        "assigned": "confié à une équipe",
        "in_progress": "intervention en cours",
        "resolved": "résolu",
        "rejected": "clos sans intervention",
        "duplicate": "rattaché à un signalement existant",
        "reopened": "rouvert",
    },
    "en": {
        "new": "received",
        "acknowledged": "acknowledged",
        "assigned": "assigned to a team",
        "in_progress": "work in progress",
        "resolved": "resolved",
        "rejected": "closed without action",
        "duplicate": "linked to an existing report",
        "reopened": "reopened",
    },
}

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "subject_reporter": "[{city}] Votre signalement {ref} : {status}",
        "subject_follower": "[{city}] Signalement suivi {ref} : {status}",
        "hello": "Bonjour,",
        "about": "Signalement {ref} ({service}) : {status}.",
        "about_restricted": "Signalement {ref} : {status}.",
        "place": "Lieu : {place}.",
        "note": "Précision du service :",
        "merged": "Votre signalement a été rattaché au signalement {keep}, "
        "qui reste suivi jusqu'à sa résolution.",
        "track": "Suivre ce signalement :",
        "why_reporter": "Vous recevez ce message parce que vous avez fait ce signalement.",
        "why_follower": "Vous recevez ce message parce que vous suivez ce signalement.",
        "auto": "Ce message est envoyé automatiquement ; merci de ne pas y répondre.",
        "stop": "Ne plus recevoir ces courriels :",
        "several": "Votre signalement a avancé en plusieurs étapes :",
        "subject_confirm": "[{city}] Confirmez le suivi du signalement {ref}",
        "receipt": "Votre signalement {ref} ({service}) a bien été enregistré.",
        "receipt_confirm": "Pour recevoir par courriel les nouvelles de ce signalement, "
        "confirmez votre adresse avec ce lien :",
        "receipt_unconfirmed": "Sans cette confirmation, vous ne recevrez pas d'autre courriel "
        "à son sujet ; le lien de suivi ci-dessous reste valable.",
        "confirm_asked": "Quelqu'un, peut-être vous, a demandé à recevoir par courriel "
        "les nouvelles du signalement {ref}.",
        "confirm_link": "Pour les recevoir, confirmez avec ce lien :",
        "confirm_ignore": "Si ce n'est pas vous, ignorez ce message : vous ne recevrez rien d'autre.",
        "why_confirm": "Vous recevez ce message parce que votre adresse a été saisie "
        "pour suivre ce signalement.",
    },
    "en": {
        "subject_reporter": "[{city}] Your report {ref}: {status}",
        "subject_follower": "[{city}] Report you follow {ref}: {status}",
        "hello": "Hello,",
        "about": "Report {ref} ({service}): {status}.",
        "about_restricted": "Report {ref}: {status}.",
        "place": "Place: {place}.",
        "note": "Note from the team:",
        "merged": "Your report has been linked to report {keep}, "
        "which will be followed until it is resolved.",
        "track": "Follow this report:",
        "why_reporter": "You are receiving this message because you made this report.",
        "why_follower": "You are receiving this message because you follow this report.",
        "auto": "This message was sent automatically; please do not reply.",
        "stop": "Stop these e-mails:",
        "several": "Your report moved on in several steps:",
        "subject_confirm": "[{city}] Confirm you want to follow report {ref}",
        "receipt": "Your report {ref} ({service}) has been received.",
        "receipt_confirm": "To receive news of this report by e-mail, confirm your address with this link:",
        "receipt_unconfirmed": "Without this confirmation you will get no other e-mail about it; "
        "the tracking link below still works.",
        "confirm_asked": "Someone, perhaps you, asked to receive news of report {ref} by e-mail.",
        "confirm_link": "To receive them, confirm with this link:",
        "confirm_ignore": "If it was not you, ignore this message: you will receive nothing else.",
        "why_confirm": "You are receiving this message because your address was entered "
        "to follow this report.",
    },
}


def ui_lang(lang: str, fallback: str = "fr") -> str:
    """The language to write in: the recipient's, else the city's, else French."""
    if lang in WORDS:
        return lang
    return fallback if fallback in WORDS else "fr"


def status_name(status: str, lang: str) -> str:
    return STATUS_NAMES[ui_lang(lang)].get(status, status)


@dataclass(frozen=True)
class Composed:
    subject: str
    body_text: str
    body_html: str


def compose(
    *,
    lang: str,
    city: str,
    contact: str,
    reference: str,
    service: str,
    status: str,
    template: str,
    note: str,
    link: str,
    follower: bool,
    stop_link: str,
    merged_into: str | None = None,
    place: str = "",
) -> Composed:
    """Subject, plain text and HTML of one message (``lang`` already passed by ``ui_lang``)."""
    w = WORDS[lang]
    state = status_name(status, lang)
    subject = w["subject_follower" if follower else "subject_reporter"].format(
        city=city, ref=reference, status=state
    )
    paragraphs: list[str] = [w["hello"]] + ([template] if template else [])
    if merged_into:
        paragraphs.append(w["merged"].format(keep=merged_into))
    # Agents often send the procedure's template unchanged as the public note: say it once.
    if note and note.strip() != template.strip():
        paragraphs.append(f"{w['note']}\n{note}")
    about = w["about"] if service else w["about_restricted"]
    paragraphs.append(about.format(ref=reference, service=service, status=state))
    if place:  # where the report is: its address, else its commune
        paragraphs[-1] += "\n" + w["place"].format(place=place)
    footer = [
        city + (f" — {contact}" if contact else ""),
        w["why_follower" if follower else "why_reporter"],
        w["auto"],
    ]

    return _render(lang, subject, paragraphs, w["track"], link, footer, stop_link)


def compose_digest(*, changes: list[dict[str, str]], **common: Any) -> Composed:
    """One message for several changes made within the digest window, oldest first.

    ``changes`` hold ``status``, ``template``, ``note`` and ``merged_into`` each;
    ``common`` the other arguments of :func:`compose`. One change reads as before.
    """
    if len(changes) == 1:
        c = changes[0]
        return compose(
            **common,
            status=c["status"],
            template=c["template"],
            note=c["note"],
            merged_into=c.get("merged_into") or None,
        )
    lang = common["lang"]
    w = WORDS[lang]
    last = changes[-1]["status"]
    state = status_name(last, lang)
    subject = w["subject_follower" if common["follower"] else "subject_reporter"].format(
        city=common["city"], ref=common["reference"], status=state
    )
    paragraphs: list[str] = [w["hello"], w["several"]]
    for c in changes:
        paragraphs.append("— " + status_name(c["status"], lang))
        if c["template"]:
            paragraphs.append(c["template"])
        if c.get("merged_into"):
            paragraphs.append(w["merged"].format(keep=c["merged_into"]))
        if c["note"] and c["note"].strip() != c["template"].strip():
            paragraphs.append(f"{w['note']}\n{c['note']}")
    service = common["service"]
    about = w["about"] if service else w["about_restricted"]
    paragraphs.append(about.format(ref=common["reference"], service=service, status=state))
    if common.get("place"):  # where the report is: its address, else its commune
        paragraphs[-1] += "\n" + w["place"].format(place=common["place"])
    contact = common["contact"]
    footer = [
        common["city"] + (f" — {contact}" if contact else ""),
        w["why_follower" if common["follower"] else "why_reporter"],
        w["auto"],
    ]
    return _render(lang, subject, paragraphs, w["track"], common["link"], footer, common["stop_link"])


def compose_confirmation(
    *, lang: str, city: str, contact: str, reference: str, link: str, stop_link: str
) -> Composed:
    """The request to confirm a follow by e-mail: the reference and the link, nothing the
    person who typed the address could have chosen."""
    w = WORDS[lang]
    subject = w["subject_confirm"].format(city=city, ref=reference)
    paragraphs = [w["hello"], w["confirm_asked"].format(ref=reference), w["confirm_ignore"]]
    footer = [city + (f" — {contact}" if contact else ""), w["why_confirm"], w["auto"]]
    return _render(lang, subject, paragraphs, w["confirm_link"], link, footer, stop_link)


def compose_receipt(
    *,
    lang: str,
    city: str,
    contact: str,
    reference: str,
    service: str,
    template: str,
    link: str,
    confirm_link: str | None,
    stop_link: str,
) -> Composed:
    """The receipt of a new report: reference, tracking link and, for an address that never
    confirmed, the link to confirm it. Not the description: whoever typed the address wrote it."""
    w = WORDS[lang]
    subject = w["subject_reporter"].format(city=city, ref=reference, status=status_name("new", lang))
    paragraphs = [w["hello"], w["receipt"].format(ref=reference, service=service)]
    if template:
        paragraphs.append(template)
    if confirm_link:
        paragraphs += [f"{w['receipt_confirm']}\n{confirm_link}", w["receipt_unconfirmed"]]
    footer = [city + (f" — {contact}" if contact else ""), w["why_reporter"], w["auto"]]
    return _render(lang, subject, paragraphs, w["track"], link, footer, stop_link)


def compose_plain(
    *,
    lang: str,
    subject: str,
    paragraphs: list[str],
    link_label: str,
    link: str,
    footer: list[str],
    stop_link: str,
) -> Composed:
    """A message of another context (a resident's sign-in link, a collection reminder) in the
    same layout as the others: paragraphs, one link, the footer and the stop link (none for
    a message the recipient asked for once, such as a sign-in link)."""
    return _render(ui_lang(lang), subject, paragraphs, link_label, link, footer, stop_link)


def _render(
    lang: str,
    subject: str,
    paragraphs: list[str],
    link_label: str,
    link: str,
    footer: list[str],
    stop_link: str,
) -> Composed:
    stop_label = WORDS[lang]["stop"]
    stop_text = f"\n{stop_label}\n{stop_link}" if stop_link else ""
    text_parts = [*paragraphs, f"{link_label}\n{link}", "-- \n" + "\n".join(footer) + stop_text]
    body_text = "\n\n".join(text_parts) + "\n"

    def para(p: str) -> str:
        return "<p>" + html.escape(p).replace("\n", "<br>\n") + "</p>"

    def anchor(url: str) -> str:
        return f'<a href="{html.escape(url, quote=True)}">{html.escape(url)}</a>'

    body_html = (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>\n<body>\n"
        + "\n".join(para(p) for p in paragraphs)
        + f"\n<p>{html.escape(link_label)}<br>\n{anchor(link)}</p>\n"
        + '<hr>\n<p style="color:#555;font-size:small">'
        + "<br>\n".join(html.escape(line) for line in footer)
        + (f"<br>\n{html.escape(stop_label)} {anchor(stop_link)}" if stop_link else "")
        + "</p>\n</body>\n</html>\n"
    )
    return Composed(subject=subject, body_text=body_text, body_html=body_html)
