"""The running platform: settings, city, catalogue, database, bus and stores.

Built once by the app factory or the CLI and handed to use-case functions, so
the web, CLI and (later) MQTT adapters all call the same code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vigie.catalogue.domain import Catalogue
from vigie.catalogue.loader import load_catalogue
from vigie.city.profile import CityProfile, load_profile
from vigie.db import Database
from vigie.errors import ConfigurationError
from vigie.events.bus import EventBus, make_bus
from vigie.settings import Settings

if TYPE_CHECKING:
    from vigie.limits.store import LimitStore
    from vigie.photos.storage import PhotoStore

log = logging.getLogger(__name__)


@dataclass
class Vigie:
    settings: Settings
    city: CityProfile
    catalogue: Catalogue
    db: Database
    bus: EventBus
    photos: PhotoStore
    extra: dict[str, object] = field(default_factory=dict)
    limits: LimitStore | None = None  # shared counters (vigie.limits); set by build_vigie

    def reload_catalogue(self, path: Path | None = None) -> Catalogue:
        """Swap in a new catalogue; on any problem the running one is kept."""
        new = load_catalogue(path or self.city.catalogue_path, self.city.zones.codes())
        self.catalogue = new
        return new


def build_vigie(settings: Settings | None = None) -> Vigie:
    from vigie.photos.storage import make_photo_store

    settings = settings or Settings()
    city = load_profile(settings.city)
    catalogue = load_catalogue(city.catalogue_path, city.zones.codes())
    db = Database(settings.resolved_database_url, group_commit=settings.sqlite_group_commit)
    bus = make_bus(settings.event_bus, settings.resolved_database_url)
    photos = make_photo_store(settings.photo_storage, settings.data_dir)
    from vigie.limits.store import make_limit_store

    return Vigie(settings, city, catalogue, db, bus, photos, limits=make_limit_store(settings, db))


__all__ = ["Vigie", "build_vigie", "ConfigurationError"]
