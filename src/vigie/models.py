"""Import every context's tables so Base.metadata is complete (Alembic, tests)."""

from vigie import cacheversions, sqljson
from vigie.accounts import storage as accounts_storage
from vigie.addresses import storage as addresses_storage
from vigie.alarms import storage as alarms_storage
from vigie.assets import storage as assets_storage
from vigie.cityinfo import storage as cityinfo_storage
from vigie.db import Base
from vigie.inbound import storage as inbound_storage
from vigie.lighting import storage as lighting_storage
from vigie.limits import storage as limits_storage
from vigie.notifications import storage as notifications_storage
from vigie.opendata import lab_storage as opendata_lab_storage
from vigie.opendata import storage as opendata_storage
from vigie.oplog import storage as oplog_storage
from vigie.places import storage as places_storage
from vigie.reports import storage as reports_storage
from vigie.residents import storage as residents_storage
from vigie.reusers import storage as reusers_storage
from vigie.telemetry import storage as telemetry_storage
from vigie.traffic import storage as traffic_storage
from vigie.transport import storage as transport_storage
from vigie.videoprotection import storage as videoprotection_storage
from vigie.winter import storage as winter_storage

metadata = Base.metadata

__all__ = [
    "metadata",
    "cacheversions",
    "addresses_storage",
    "accounts_storage",
    "alarms_storage",
    "assets_storage",
    "inbound_storage",
    "lighting_storage",
    "limits_storage",
    "notifications_storage",
    "opendata_lab_storage",
    "opendata_storage",
    "oplog_storage",
    "videoprotection_storage",
    "reports_storage",
    "reusers_storage",
    "sqljson",
    "telemetry_storage",
    "traffic_storage",
    "transport_storage",
    "places_storage",
    "residents_storage",
    "cityinfo_storage",
    "winter_storage",
]
