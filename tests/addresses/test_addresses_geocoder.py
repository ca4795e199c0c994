from __future__ import annotations

import pytest
from sqlalchemy import delete

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
