"""Contact data written into free text: found and masked the same way everywhere.

Residents type their phone number or e-mail address into a report's description
("rappelez-moi au 06 12 34 56 78") although the form asks for them apart. Logs mask
them as a safety net, and the public text of a report never carries them: both use
:func:`mask_personal_data`. (The open data scanner keeps its own RE2 patterns: it
runs inside pyarrow's regular expression engine, which has no look-behind.)
"""

from __future__ import annotations

import re

__all__ = ["mask_personal_data"]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# French and international numbers: +33 6 12 34 56 78, +33 (0)6 12 34 56 78,
# 06.12.34.56.78, 0612345678 (one separator throughout, so that coordinates and dates
# are left alone).
_PHONE = re.compile(
    r"(?<![\w.,+-])(?:\+\d{1,3}[ .-]?(?:\(0\)[ .-]?)?[1-9]|0[1-9])([ .-]?)\d{2}(?:\1\d{2}){3}(?![\w.-]?\d)"
)
# A reuser's open data API key (vigie.reusers): a secret, masked like personal data.
_REUSER_KEY = re.compile(r"\bvk_[\w-]{20,}")


def mask_personal_data(text: str) -> str:
    """``text`` with e-mail addresses, phone numbers and API keys replaced by placeholders."""
    # An address holds an "@" and a key starts "vk_": without them their patterns cannot
    # match. Not running them saves most of the cost, as the e-mail pattern tries a run of
    # word characters at every position of the text before it fails: 8.2 -> 2.5 us for a
    # 31-character description, 27 -> 5 us for 83 (every new report's public text goes
    # through here; docs/benchmarks.md, issue 14).
    if "@" in text:
        text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[phone]", text)
    return _REUSER_KEY.sub("[key]", text) if "vk_" in text else text
