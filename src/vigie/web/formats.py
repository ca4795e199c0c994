"""Numbers, dates and plurals as each language writes them (Babel, CLDR data).

"10,0 h", "1 234 signalements" and "06/12/2026 14:05" in French; "10.0 h",
"1,234 reports" and "6 Dec 2026, 14:05" in English. Pages get these through
``render`` (``num``, ``when``, ``plural``); scripts use the same CLDR rules
through the browser's ``Intl``.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

LOCALES = {"fr": "fr_FR", "en": "en_GB"}


def _locale(lang: str) -> str:
    return LOCALES.get(lang, "fr_FR")


def number(value: float | int, lang: str, digits: int | None = None) -> str:
    """``value`` with the language's separators; ``digits`` fixes the decimals shown."""
    if digits is None:
        return format_decimal(value, locale=_locale(lang))
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(round(value, digits), format=pattern, locale=_locale(lang))


def when(value: datetime | date | str | None, lang: str, tz: tzinfo | None = None) -> str:
    """A short date (and time): 06/12/2026 14:05 in French, 6 Dec 2026, 14:05 in English.

    An ISO 8601 text is read first (a day, "2026-12-06", stays a day)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    if isinstance(value, datetime):
        fmt = "dd/MM/yyyy HH:mm" if lang == "fr" else "d MMM yyyy, HH:mm"
        return format_datetime(value, fmt, tzinfo=tz, locale=_locale(lang))
    return format_date(value, "dd/MM/yyyy" if lang == "fr" else "d MMM yyyy", locale=_locale(lang))


def plural_form(n: float | int, lang: str) -> str:
    """ "one" or "other" by the language's rule (French: 0 and 1 are singular)."""
    return "one" if Locale.parse(_locale(lang)).plural_form(abs(n)) == "one" else "other"
