from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from vigie.web.formats import number, plural_form, when

PARIS = ZoneInfo("Europe/Paris")


def test_formats_numbers_by_language():
    assert number(10.0, "fr", 1) == "10,0" and number(10.0, "en", 1) == "10.0"
    assert number(1234567, "fr") == "1\u202f234\u202f567" and number(1234567, "en") == "1,234,567"
    assert number(2.25, "fr", 0) == "2"


def test_formats_dates_in_the_city_time_zone():
    moment = datetime(2026, 12, 6, 13, 5, tzinfo=UTC)
    assert when(moment, "fr", PARIS) == "06/12/2026 14:05"
    assert when(moment, "en", PARIS) == "6 Dec 2026, 14:05"
    assert when(date(2026, 7, 14), "fr") == "14/07/2026" and when(None, "fr") == ""


def test_formats_plural_rules_differ_between_languages():
    assert [plural_form(n, "fr") for n in (0, 1, 2)] == ["one", "one", "other"]
    assert [plural_form(n, "en") for n in (0, 1, 2)] == ["other", "one", "other"]


def test_formats_no_message_writes_a_plural_in_brackets():
    # "abstention(s)", "jeu(x)": every count goes through the language's plural rule instead.
    import re
    from pathlib import Path

    import vigie

    bracketed = re.compile(r"\w\((s|x|es)\)")
    for path in sorted(Path(vigie.__file__).parent.glob("*/locales/*.yaml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            assert not bracketed.search(line), f"{path.name}: {line}"


def test_formats_open_data_portal_counts_datasets_by_plural_rule(client):
    heading = '<h2 id="results-heading" tabindex="-1">'
    assert heading + "0 jeu de données sur 0</h2>" in client.get("/donnees?lang=fr").text
    assert heading + "0 datasets of 0</h2>" in client.get("/donnees?lang=en").text
