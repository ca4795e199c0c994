"""Every router of the app, in the order FastAPI tries them."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from vigie.addresses.web import router as addresses_router
from vigie.alarms.web import router as alarms_router
from vigie.app.health import router as health_router
from vigie.app.observability import router as metrics_router
from vigie.app.streams import router as events_router
from vigie.assets.web import router as assets_router
from vigie.catalogue.web import router as catalogue_router
from vigie.citizen.account import router as citizen_account_router
from vigie.citizen.cityinfo import router as citizen_info_router
from vigie.citizen.lighting import router as citizen_lighting_router
from vigie.citizen.places import router as citizen_places_router
from vigie.citizen.transport import router as citizen_transport_router
from vigie.citizen.waste import router as citizen_waste_router
from vigie.citizen.web import router as citizen_router
from vigie.cityinfo.web import router as cityinfo_router
from vigie.lighting.planner_web import router as lighting_plan_router
from vigie.lighting.web import router as lighting_api_router
from vigie.maps.web import router as maps_router
from vigie.notifications.web import router as mail_router
from vigie.open311.web import router as open311_router
from vigie.opendata.dcat_web import router as dcat_router
from vigie.opendata.explore_web import router as explore_router
from vigie.opendata.keys_web import router as keys_router
from vigie.opendata.lab_web import router as lab_router
from vigie.opendata.ogc_web import router as ogc_router
from vigie.opendata.releases_web import router as releases_router
from vigie.opendata.uploads_web import router as uploads_router
from vigie.opendata.web import router as opendata_router
from vigie.oplog.web import router as oplog_router
from vigie.pilotage.api import router as pilotage_api_router
from vigie.pilotage.equipment import router as equipment_router
from vigie.pilotage.info_pages import router as info_pages_router
from vigie.pilotage.lighting import router as pilotage_lighting_router
from vigie.pilotage.lighting_plan import router as lighting_plan_page_router
from vigie.pilotage.services import router as services_router
from vigie.pilotage.sessions import router as sessions_pages_router
from vigie.pilotage.video import router as video_pages_router
from vigie.pilotage.video_sites import router as video_sites_router
from vigie.pilotage.web import router as pilotage_router
from vigie.places.web import router as places_router
from vigie.reports.web import photos_router
from vigie.reports.web import router as reports_router
from vigie.residents.web import router as residents_router
from vigie.telemetry.web import lighting_router
from vigie.telemetry.web import router as telemetry_router
from vigie.traffic.web import router as traffic_router
from vigie.transport.web import router as transport_router
from vigie.videoprotection.web import pages as videoprotection_pages
from vigie.videoprotection.web import router as videoprotection_router
from vigie.web.auth import router as auth_router
from vigie.web.docs import router as docs_router
from vigie.web.pages import router as pages_router
from vigie.web.users import router as users_router
from vigie.winter.web import router as winter_router

# FastAPI tries routes in order, a few microseconds each with its bookkeeping: the
# busiest endpoints come first. The public ones (Open311 intake and lists, the native
# list), then the control room's (the queue page and its map, asked again by every
# screen at each live update): behind the 105 routes before it, a request to it cost
# 0.2 ms more CPU (docs/benchmarks.md, issue 14, third pass). The records API (reusers' scripts
# page through it by the thousand) came after ~50 routers: 12 % of a cold answer's CPU went to
# trying them (docs/benchmarks.md, records API, 2026-12-07 evening).
ROUTERS: tuple[APIRouter, ...] = (
    explore_router,
    open311_router,
    reports_router,
    photos_router,
    pilotage_api_router,
    auth_router,
    users_router,
    catalogue_router,
    assets_router,
    addresses_router,
    transport_router,
    places_router,
    cityinfo_router,
    events_router,
    docs_router,
    pages_router,
    citizen_router,
    citizen_transport_router,
    citizen_places_router,
    citizen_lighting_router,
    pilotage_lighting_router,
    citizen_waste_router,
    citizen_info_router,
    citizen_account_router,
    residents_router,
    mail_router,
    pilotage_router,
    info_pages_router,
    sessions_pages_router,
    alarms_router,
    oplog_router,
    videoprotection_router,
    videoprotection_pages,
    telemetry_router,
    lighting_router,
    lighting_api_router,
    lighting_plan_router,
    equipment_router,
    lighting_plan_page_router,
    maps_router,
    traffic_router,
    services_router,
    video_pages_router,
    video_sites_router,
    winter_router,
    dcat_router,  # /donnees/catalogue before /donnees/{dataset_id}
    keys_router,  # /donnees/cles too
    uploads_router,
    releases_router,
    opendata_router,
    ogc_router,
    lab_router,
    health_router,
    metrics_router,
)


def include_routers(app: FastAPI) -> None:
    for router in ROUTERS:
        app.include_router(router)
