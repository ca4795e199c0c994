"""Building the platform: the one place where its parts are chosen and wired.

The app lifespan, the CLI and the tests all get their :class:`~vigie.runtime.Vigie`
from :func:`build_vigie`: the seams picked by configuration (database, event bus,
photo store, shared limits) are made here.
"""

from __future__ import annotations

from vigie.catalogue.loader import load_catalogue
from vigie.city.profile import load_profile
from vigie.db import Database
from vigie.events.bus import make_bus
from vigie.limits.store import make_limit_store
from vigie.photos.storage import make_photo_store
from vigie.runtime import Vigie
from vigie.settings import Settings


def build_vigie(settings: Settings | None = None) -> Vigie:
    settings = settings or Settings()
    city = load_profile(settings.city)
    catalogue = load_catalogue(city.catalogue_path, city.zones.codes())
    db = Database(settings.resolved_database_url, group_commit=settings.sqlite_group_commit)
    bus = make_bus(settings.event_bus, settings.resolved_database_url)
    photos = make_photo_store(settings.photo_storage, settings.data_dir)
    return Vigie(settings, city, catalogue, db, bus, photos, limits=make_limit_store(settings, db))


__all__ = ["build_vigie"]
