from __future__ import annotations

import pytest
from sqlalchemy import delete

from vigie.addresses import builtin
from vigie.addresses.builtin import BuiltinGeocoder
from vigie.addresses.geocoder import CachedGeocoder, geocoder_of, make_geocoder
from vigie.addresses.storage import AddressPointRow
from vigie.errors import ConfigurationError
from vigie.runtime import Vigie


def test_geocoder_cache_answers_repeated_keystrokes_without_the_backend(ban_gazetteer: Vigie) -> None:
    inner = BuiltinGeocoder(ban_gazetteer.db, ban_gazetteer.city.zones)
    cached, uncached = CachedGeocoder(inner), CachedGeocoder(inner, size=0)
    first = cached.search("3 rue de la gare", 47.3231, 5.0302)
    assert first[0].id == "21231_1000_00003"
    with ban_gazetteer.db.session(write=True) as s:
        s.execute(delete(AddressPointRow))
        s.commit()
    # The same question, typed with other spaces and case, within the same 0.01° of centre.
    assert cached.search("3  Rue de la GARE", 47.3233, 5.0299) == first
    assert uncached.search("3 rue de la gare", 47.3231, 5.0302)[0].type == "street"


def test_geocoder_chosen_by_configuration(vigie: Vigie) -> None:
    assert geocoder_of(vigie).name == "builtin"
    assert geocoder_of(vigie) is geocoder_of(vigie)
    vigie.settings = vigie.settings.model_copy(update={"geocoder": "ban", "geocoder_url": ""})
    with pytest.raises(ConfigurationError, match="needs a URL"):
        make_geocoder(vigie)
    vigie.settings = vigie.settings.model_copy(update={"geocoder": "nominatim"})
    with pytest.raises(ConfigurationError, match="unknown geocoder 'nominatim'"):
        make_geocoder(vigie)


def _statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements the built-in geocoder sends from now on (appended as they go)."""
    sent: list[str] = []
    rows = builtin._Reader.rows

    def recorded(self: builtin._Reader, sql: str, params: dict) -> list:
        sent.append(sql)
        return rows(self, sql, params)

    monkeypatch.setattr(builtin._Reader, "rows", recorded)
    return sent


def test_geocoder_reads_outside_any_transaction(ban_gazetteer: Vigie) -> None:
    g = BuiltinGeocoder(ban_gazetteer.db, ban_gazetteer.city.zones)
    with g._reader() as db:
        assert db.rows("SELECT count(*) FROM address_points", {}) == [(8,)]
        conn = db.cursor.connection
        # No BEGIN was sent: no ROLLBACK or COMMIT will be either (round trips on
        # PostgreSQL; on SQLite, statements that hand Python's global lock around).
        if ban_gazetteer.db.dialect == "sqlite":
            assert conn.in_transaction is False
        else:
            assert conn.info.transaction_status.name == "IDLE"


def test_geocoder_search_is_two_statements_with_its_number(
    ban_gazetteer: Vigie, monkeypatch: pytest.MonkeyPatch
) -> None:
    g = BuiltinGeocoder(ban_gazetteer.db, ban_gazetteer.city.zones)
    sent = _statements(monkeypatch)
    found = g.search("3 bis rue de la ga", 47.3231, 5.0302)
    assert found[0].id == "21231_1000_00003_bis"
    # The words' counts, then the candidates with the number's points: no query per
    # word or per place.
    assert len(sent) == 2, [s[:60] for s in sent]
    assert "address_token_stats" in sent[0] and "address_points" in sent[1]


def test_geocoder_search_common_word_reads_around_the_centre_first(
    ban_gazetteer: Vigie, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if "gare" led to more places than NEAR_FIRST: the grid cells around the centre first.
    monkeypatch.setattr(builtin, "NEAR_FIRST", 0)
    g = BuiltinGeocoder(ban_gazetteer.db, ban_gazetteer.city.zones)
    sent = _statements(monkeypatch)
    found = g.search("1 rue de la gare", 47.2922, 5.0060, 1)
    assert [a.id for a in found] == ["21166_2000_00001"]  # Chenôve's, nearest the centre
    assert len(sent) == 2 and "cell IN" in sent[1], [s[:60] for s in sent]
    # Nothing in the cells around a centre 60 km away: then the whole gazetteer, nearest first.
    sent.clear()
    found = g.search("1 rue de la gare", 47.80, 5.0302, 1)
    assert [a.id for a in found] == ["21231_1000_00001"]
    assert len(sent) == 3 and "cell IN" in sent[1] and "cell IN" not in sent[2], [s[:60] for s in sent]
