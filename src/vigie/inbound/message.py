"""An inbound e-mail read for what a report needs: plain Python, no I/O.

:func:`read_message` turns the raw bytes into an :class:`Inbound`: who wrote,
the text cleaned (HTML turned into text, quoted replies, signatures and
"sent from my phone" lines removed), photos and other attachments, the ids
that tie it to a thread, and whether a machine wrote it (:func:`automatic`):
auto-replies (RFC 3834), bounces and delivery reports (RFC 3464), mailing
lists and bulk mail, and loops (our own messages coming back) never become
reports. :func:`address_candidates` finds what looks like an address in the
text, for the geocoder to try.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

MAX_TEXT = 4000  # a report's description (reports.domain.MAX_DESCRIPTION)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


@dataclass
class Inbound:
    message_id: str  # without angle brackets; a digest of the bytes when the header is missing
    sender: str  # the From address, lower case ("" when there is none)
    sender_name: str
    subject: str
    text: str  # the resident's words, cleaned
    attachments: list[Attachment] = field(default_factory=list)
    thread_ids: list[str] = field(default_factory=list)  # In-Reply-To then References
    lang: str = ""
    automatic: str | None = None  # why a machine wrote it (never a report), else None

    @property
    def photos(self) -> list[Attachment]:
        return [a for a in self.attachments if a.is_image]

    @property
    def others(self) -> list[Attachment]:
        return [a for a in self.attachments if not a.is_image]


def _ids(value: str | None) -> list[str]:
    return re.findall(r"<([^<>\s]+)>", value or "")


def read_message(
    raw: bytes, own_addresses: frozenset[str] = frozenset(), envelope_from: str | None = None
) -> Inbound:
    """Parse ``raw`` (RFC 5322). ``own_addresses``: the city's, lower case, for loops;
    ``envelope_from``: the SMTP reverse path when known ("" is a bounce's null path)."""
    import hashlib

    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)  # policy.default builds EmailMessage objects
    name, address = parseaddr(str(msg.get("From", "")))
    mid = _ids(str(msg.get("Message-ID", "")))
    message_id = mid[0] if mid else "sha256-" + hashlib.sha256(raw).hexdigest()
    thread = _ids(str(msg.get("In-Reply-To", ""))) + _ids(str(msg.get("References", "")))
    lang = str(msg.get("Content-Language", "")).split(",")[0].strip().lower()[:2]
    return Inbound(
        message_id=message_id[:255],
        sender=address.strip().lower(),
        sender_name=name.strip()[:200],
        subject=re.sub(r"\s+", " ", str(msg.get("Subject", ""))).strip()[:300],
        text=clean_text(_body(msg)),
        attachments=_attachments(msg),
        thread_ids=list(dict.fromkeys(thread)),
        lang=lang,
        automatic=automatic(msg, address.strip().lower(), own_addresses, envelope_from),
    )


# --- machines' mail ---------------------------------------------------------

_BULK = {"bulk", "junk", "list", "auto_reply"}
_DAEMONS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply")
MAX_HOPS = 25  # more Received headers than this: a loop somewhere (RFC 5321 suggests 100 at most)


def automatic(
    msg: Message, sender: str, own_addresses: frozenset[str], envelope_from: str | None = None
) -> str | None:
    """Why no resident wrote this message (a short reason), or None if one did."""
    if sender and sender in own_addresses:
        return "loop: sent by the city's own address"
    for value in msg.get_all("X-Loop", []):
        if any(a in str(value).lower() for a in own_addresses):
            return "loop: X-Loop names the city's address"
    if len(msg.get_all("Received", [])) > MAX_HOPS:
        return "loop: too many Received headers"
    if msg.get_content_type() == "multipart/report" or envelope_from == "":
        return "bounce: a delivery or read report"
    if sender.split("@")[0] in _DAEMONS[:2]:
        return "bounce: sent by a mail server"
    submitted = str(msg.get("Auto-Submitted", "no")).strip().lower()
    if submitted and not submitted.startswith("no"):
        return f"auto-reply: Auto-Submitted {submitted.split(';')[0]}"
    if msg.get("X-Autoreply") or msg.get("X-Autorespond") or msg.get("X-Autoresponse"):
        return "auto-reply: X-Autoreply"
    precedence = str(msg.get("Precedence", "")).strip().lower()
    if precedence in _BULK:
        return f"bulk: Precedence {precedence}"
    if msg.get("List-Id") or msg.get("List-Unsubscribe"):
        return "bulk: mailing list"
    if sender.split("@")[0] in _DAEMONS[2:]:
        return "auto-reply: sent by an address that takes no replies"
    return None


# --- text -------------------------------------------------------------------


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError):  # unknown charset, broken encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    text = str(content)
    return html_to_text(text) if part.get_content_type() == "text/html" else text


class _TextOfHtml(HTMLParser):
    _SKIP = {"script", "style", "head", "title", "template"}
    _BLOCK = {
        "p",
        "div",
        "br",
        "tr",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "table",
        "ul",
        "ol",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0
        self.quoting = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag == "blockquote":  # what is being replied to
            self.quoting += 1
        if tag in self._BLOCK:
            self.out.append("\n")
        if tag == "li":
            self.out.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self.skipping:
            self.skipping -= 1
        elif tag == "blockquote" and self.quoting:
            self.quoting -= 1
        if tag in self._BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping and not self.quoting:
            self.out.append(data)


def html_to_text(html: str) -> str:
    """The words of an HTML body (no markup, scripts, styles or quoted replies)."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in "".join(parser.out).splitlines()]
    return "\n".join(lines)


# Where a reply's quoted message starts (mail clients in French and English).
_QUOTE_HEADERS = [
    re.compile(r"^\s*(le|on)\s.{0,200}?(a\s+écrit|wrote)\s*:\s*$", re.I | re.S),
    re.compile(r"^-{2,}\s*(original message|message d'origine|message transféré|forwarded message)", re.I),
    re.compile(r"^_{10,}\s*$"),
    re.compile(r"^(de|from)\s*:\s.*$", re.I),
]
_SIGNATURE = re.compile(r"^--\s*$")
_FOOTERS = re.compile(
    r"^(envoyé (de|depuis) (mon|l'application)|sent from my|get outlook for|télécharger outlook)", re.I
)


def clean_text(text: str) -> str:
    """The resident's own words: no quoted reply, signature, device footer or blank runs."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        two = f"{stripped} {lines[i + 1].strip()}" if i + 1 < len(lines) else stripped
        if any(p.match(stripped) for p in _QUOTE_HEADERS) or _QUOTE_HEADERS[0].match(two):
            if stripped.lower().startswith(("de", "from")) and not _looks_like_header_block(lines[i:]):
                kept.append(line)
                continue
            break
        if _SIGNATURE.match(line):
            break
        if stripped.startswith(">") or _FOOTERS.match(stripped):
            continue
        kept.append(line.rstrip())
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    out = "".join(c for c in out if c in "\n\t" or c.isprintable())
    return out[:MAX_TEXT]


def _looks_like_header_block(lines: list[str]) -> bool:
    """ "De : …" followed by "Envoyé :"/"Sent:"/"À :"/"To:" (Outlook's quoted header)."""
    following = " ".join(lines[1:4]).lower()
    return any(k in following for k in ("envoyé :", "sent:", "à :", "to:", "date:", "objet :", "subject:"))


def _attachments(msg: EmailMessage) -> list[Attachment]:
    out: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        disposition = part.get_content_disposition()
        if ctype in ("text/plain", "text/html") and disposition != "attachment":
            continue  # the body
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload:
            continue
        out.append(Attachment(str(part.get_filename() or "")[:200], ctype, payload))
    return out


# --- addresses in the text ---------------------------------------------------

_WAYS = (
    r"rue|avenue|av\.?|boulevard|bd|place|pl\.|all[ée]e|chemin|impasse|quai|cours|route|square|"
    r"rond-point|passage|esplanade|promenade|faubourg|parvis|sentier|voie|mail|r[ée]sidence"
)
_ADDRESS = re.compile(
    rf"(?<![\w-])((?:\d{{1,4}}\s?(?:bis|ter|b|t)?\s*,?\s+)?(?:{_WAYS})\s+[^\n,.;:!?()]{{2,60}})", re.I
)
# Words after which a sentence has left the street's name.
_STOP = re.compile(
    r"\s(?:devant|depuis|pr[eè]s|à côté|a cote|en face|au niveau|au coin|entre|il|elle|qui|où|ou|et|car|mais|"
    r"ce|cette|c'est|est|sont|a|avec|pour|sur le|sur la|dans|depuis|ça|merci|svp|au n°)\b",
    re.I,
)


def address_candidates(text: str, zone_names: list[str] | None = None, limit: int = 4) -> list[str]:
    """Texts that look like an address in ``text`` (best first), each followed by the name
    of a zone (commune) the text mentions, if any, to tell same-named streets apart."""
    commune = ""
    lowered = text.lower()
    for name in sorted(zone_names or [], key=len, reverse=True):
        if re.search(rf"(?<![\w-]){re.escape(name.lower())}(?![\w-])", lowered):
            commune = name
            break
    found: list[str] = []
    for m in _ADDRESS.finditer(text):
        candidate = _STOP.split(" " + m.group(1).strip() + " ", maxsplit=1)[0].strip()
        candidate = re.sub(r"\s+", " ", candidate)
        if commune and commune.lower() in candidate.lower():
            candidate = candidate[: candidate.lower().index(commune.lower())].strip(" ,")
        if len(candidate.split()) < 2:
            continue
        full = f"{candidate}, {commune}" if commune else candidate
        if full not in found:
            found.append(full)
    return found[:limit]


def all_addresses(value: str) -> list[str]:
    return [a.lower() for _, a in getaddresses([value]) if a]


__all__ = [
    "Attachment",
    "Inbound",
    "address_candidates",
    "all_addresses",
    "automatic",
    "clean_text",
    "html_to_text",
    "read_message",
]
