"""Every route of the app × every kind of caller: the answer each gets, declared in one table.

The routes are enumerated from the app's router, so a route missing from ``ROUTES``
fails ``test_web_access_every_route_is_in_the_table``. Each row names what the route
needs — a permission of the registry (``vigie.accounts.permissions``) or one of the
needs below that are not permissions — and the status each caller gets.
``test_web_access_table_agrees_with_the_registry`` checks every row against the
registry: granting or withdrawing a permission fails it until the table says so.
``test_web_access_every_route_answers_as_declared`` makes the requests, through a
real server (the live streams need one), and lists every answer that differs.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.maps.archive import COMMUNES, build_archive
from tests.reports.helpers import DIJON, jpeg_bytes, report_body, sensitive_service
from tests.telemetry.helpers import add_asset
from tests.videoprotection.helpers import extraction, site_body, video_site
from tests.web.live import LiveServer
from vigie.accounts.actions import do_create_api_key, do_create_login
from vigie.accounts.domain import SYSTEM, Agent, Role
from vigie.accounts.permissions import PERMISSIONS, allows
from vigie.alarms.storage import AlarmRow
from vigie.app import create_app
from vigie.db import utcnow
from vigie.notifications.consent import confirm_path, stop_path
from vigie.notifications.erasure import do_request_erasure, erase_path
from vigie.notifications.storage import ErasureRow, OutboxRow
from vigie.oplog.actions import do_write
from vigie.photos.processing import process_photo
from vigie.reports import intake
from vigie.reports.actions import do_assign, do_follow
from vigie.residents.domain import secret_hash
from vigie.residents.signin import do_request_link
from vigie.residents.storage import ResidentRow, ResidentSessionRow
from vigie.residents.web import RESIDENT_COOKIE
from vigie.runtime import Vigie
from vigie.settings import Settings
from vigie.telemetry import lighting
from vigie.traffic import actions as traffic_actions
from vigie.videoprotection import actions as video
from vigie.videoprotection import register
from vigie.web.deps import CSRF_HEADER, SESSION_COOKIE
from vigie.winter import actions as winter_actions

CALLERS = (
    "anonymous",
    "resident",
    "api_key",
    "field_agent",
    "operator",
    "supervisor",
    "admin",
    "video_operator",
    "video_registrar",
)
AGENTS = {
    "field_agent": Role.FIELD_AGENT,
    "operator": Role.OPERATOR,
    "supervisor": Role.SUPERVISOR,
    "admin": Role.ADMIN,
    "video_operator": Role.VIDEO_OPERATOR,
    "video_registrar": Role.VIDEO_REGISTRAR,
}
# The roles that stand apart from the nested ones (field agent < operator < supervisor < admin).
APART = CALLERS[7:]

# What a route needs when it is not a permission of the registry:
PUBLIC = "public"  # anyone, with or without an account
AGENT = "agent"  # any signed-in agent, whatever their role
TOKEN = "token"  # the tracking token given to the resident who filed the report
API_KEY = "api_key"  # an Open311 client's API key
REUSER_KEY = "reuser_key"  # a reuser's open data API key: none of the callers has one (tests/reusers)
ALARMS = "alarms"  # reports.read (every alarm or state but cameras') or video.cameras (cameras')
# The operators' monitoring network or the metrics token (VIGIE_METRICS_…); the test
# server is reached from 127.0.0.1, inside the default network (tests/app: the refusals).
MONITORING = "monitoring"
# A resident signed in to their account (vigie.residents): the "resident" caller holds one,
# a new account for each request (a request may delete it).
ACCOUNT = "account"

# A page's redirections that refuse a caller are told apart from the others (303):
SIGN_IN = "sign-in"  # 303 to the sign-in form (/connexion): nobody is signed in
TERRAIN = "terrain"  # 303 to the field agents' view: an agent without reports.all
VIDEO = "video"  # 303 to the video-protection roles' page: their home, without reports.all
ACCOUNT_SIGN_IN = "account-sign-in"  # 303 to the resident account's page (/compte): not signed in

# Answers that refuse a caller for want of rights.
DENIED = {401, 403, SIGN_IN, TERRAIN, VIDEO, ACCOUNT_SIGN_IN}


@dataclass(frozen=True)
class Row:
    needs: str
    answers: tuple[int | str, ...]  # in CALLERS order

    def __init__(self, needs: str, *answers: int | str) -> None:
        """The answers of every caller, or of the first seven only: the video-protection roles
        then get what the registry implies (see ``_apart``)."""
        if len(answers) == len(CALLERS) - len(APART):
            answers = answers + tuple(_apart(needs, answers, AGENTS[c]) for c in APART)
        assert len(answers) == len(CALLERS), needs
        object.__setattr__(self, "needs", needs)
        object.__setattr__(self, "answers", answers)


def _apart(needs: str, answers: tuple[int | str, ...], role: Role) -> int | str:
    """A video-protection role's answer where a row does not say it: the field agent's (the
    other role with fewest rights) when the registry treats both alike, else the
    administrator's when the role is allowed, else 403."""
    if needs not in PERMISSIONS or allows(role, needs) == allows(Role.FIELD_AGENT, needs):
        return answers[CALLERS.index("field_agent")]
    return answers[CALLERS.index("admin")] if allows(role, needs) else 403


ROAD_EVENT = {
    "kind": "roadworks",
    "title": "Rue de la Liberté : réfection",
    "geometry": {"type": "LineString", "coordinates": [[5.0375, 47.3222], [5.0410, 47.3219]]},
    "starts_at": (utcnow() - timedelta(days=1)).isoformat(),  # in force, for a month
    "ends_at": (utcnow() + timedelta(days=30)).isoformat(),
}
CIRCUIT = {
    "code": "C-0",
    "name": "Centre",
    "tier": "P2",
    "geometry": {"type": "LineString", "coordinates": [[5.0375, 47.3222], [5.0410, 47.3219]]},
}

# fmt: off
ROUTES: dict[str, Row] = {
    #                                                          anon  resident key  field  oper  super admin
    # -- meta, documentation, static files, the resident's app
    "GET /health":                                  Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /readyz":                                  Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /livez":                                   Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /metrics":                                 Row(MONITORING, 200, 200, 200, 200, 200, 200, 200),
    "GET /openapi.json":                            Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /docs":                                    Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /static/{path:path}":                      Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /manifest.webmanifest":                    Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /sw.js":                                   Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /hors-ligne":                              Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /":                                        Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /mes-signalements":                        Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /carte":                                   Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /eclairage":                               Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /informations/{kind}":                     Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/map":                              Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /suivi/{token}":                           Row(TOKEN,      404, 200, 404, 404, 404, 404, 404),
    "GET /api/v1/addresses":                        Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/addresses/search":                 Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/addresses/reverse":                Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /transports":                              Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /transports/arrets/{stop_id}":             Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404, 404, 404),
    "GET /api/v1/transport/stops/near":             Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/transport/stops/{stop_id}/departures": Row(PUBLIC, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    "GET /api/v1/transport/car-parks":              Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /dechets":                                 Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404),
    "GET /dechets/calendrier.ics":                  Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404),
    "GET /infos":                                   Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /infos/{slug}":                            Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404),
    "GET /bibliotheque":                            Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404),
    "GET /api/v1/info-pages":                       Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/info-pages/{slug}":                Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404),
    "GET /pilotage/pages-info":                     Row("info.manage", SIGN_IN, SIGN_IN, SIGN_IN, 403, 403, 200, 200),
    "PUT /api/v1/info-pages/{slug}":                Row("info.manage", 401, 401, 401, 403, 403, 201, 200),
    "DELETE /api/v1/info-pages/{slug}":             Row("info.manage", 401, 401, 401, 403, 403, 404, 404),
    "GET /api/v1/library/search":                   Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404),
    "GET /lieux":                                   Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /lieux/{place_id}":                        Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404),
    "GET /api/v1/places":                           Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/places/{place_id}":                Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404),
    "GET /api/v1/transport/realtime/replay.pb":     Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404, 404, 404),
    # the e-mail confirmation link sent to whoever follows a report (the resident here)
    "GET /courriel/confirmer/{token}/{code}":       Row(TOKEN,      404, 200, 404, 404, 404, 404, 404),
    "POST /courriel/confirmer/{token}/{code}":      Row(TOKEN,      404, 200, 404, 404, 404, 404, 404),
    # and its stop link (in every e-mail; RFC 8058 one-click POSTs to it)
    "GET /courriel/arreter/{token}/{code}":         Row(TOKEN,      404, 200, 404, 404, 404, 404, 404),
    "POST /courriel/arreter/{token}/{code}":        Row(TOKEN,      404, 200, 404, 404, 404, 404, 404),
    "POST /courriel/reprendre/{token}/{code}":      Row(TOKEN,      404, 200, 404, 404, 404, 404, 404),
    # erasure by e-mail confirmation: the form for anyone, the link for its address's holder
    "GET /effacement":                              Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "POST /effacement":                             Row(PUBLIC,     202, 202, 202, 202, 202, 202, 202),
    "GET /courriel/effacer/{token}/{code}":         Row(TOKEN,      404, 200, 404, 404, 404, 404, 404),
    "POST /courriel/effacer/{token}/{code}":        Row(TOKEN,      404, 200, 404, 404, 404, 404, 404),
    # -- the resident account (optional): signing in by an e-mail link, its pages and API
    "GET /compte":                                  Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "POST /compte/connexion":                       Row(PUBLIC,     202, 202, 202, 202, 202, 202, 202),
    "GET /compte/lien/{token}":                     Row(TOKEN,      404, 200, 404, 404, 404, 404, 404),
    "POST /compte/lien/{token}":                    Row(TOKEN,      404, 303, 404, 404, 404, 404, 404),
    "POST /compte/deconnexion":                     Row(ACCOUNT,    401, 303, 401, 401, 401, 401, 401),
    "GET /compte/donnees":                          Row(ACCOUNT,    ACCOUNT_SIGN_IN, 200, ACCOUNT_SIGN_IN,
                                                        ACCOUNT_SIGN_IN, ACCOUNT_SIGN_IN, ACCOUNT_SIGN_IN,
                                                        ACCOUNT_SIGN_IN),
    "POST /compte/supprimer":                       Row(ACCOUNT,    401, 200, 401, 401, 401, 401, 401),
    # no waste rounds in this world: a reminder's address is in no zone
    "POST /compte/rappels":                         Row(ACCOUNT,    401, 404, 401, 401, 401, 401, 401),
    "POST /compte/rappels/{reminder_id}/supprimer": Row(ACCOUNT,    401, 404, 401, 401, 401, 401, 401),
    "GET /api/v1/resident":                         Row(ACCOUNT,    401, 200, 401, 401, 401, 401, 401),
    "POST /api/v1/resident/merge":                  Row(ACCOUNT,    401, 200, 401, 401, 401, 401, 401),
    "POST /api/v1/resident/reports":                Row(ACCOUNT,    401, 204, 401, 401, 401, 401, 401),
    "DELETE /api/v1/resident/reports/{token}":      Row(ACCOUNT,    401, 204, 401, 401, 401, 401, 401),
    "POST /api/v1/resident/favourites":             Row(ACCOUNT,    401, 204, 401, 401, 401, 401, 401),
    "DELETE /api/v1/resident/favourites":           Row(ACCOUNT,    401, 204, 401, 401, 401, 401, 401),
    "GET /api/v1/resident/export":                  Row(ACCOUNT,    401, 200, 401, 401, 401, 401, 401),
    # maps: a small basemap archive; no context layer (they need the shared GTFS data, see tests/maps)
    "GET /api/v1/map/basemap.pmtiles":              Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "HEAD /api/v1/map/basemap.pmtiles":             Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/map/layers/{name}.geojson":        Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404),
    "GET /api/v1/map/layers/addresses.geojson":     Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    # -- Open311 GeoReport v2
    "GET /open311/discovery.{fmt}":                 Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /open311/v2/services.{fmt}":               Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /open311/v2/services/{service_code}.{fmt}": Row(PUBLIC,    200, 200, 200, 200, 200, 200, 200),
    "POST /open311/v2/requests.{fmt}":              Row(API_KEY,    403, 403, 200, 403, 403, 403, 403),
    "GET /open311/v2/requests.{fmt}":               Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /open311/v2/requests/{service_request_id}.{fmt}": Row(PUBLIC, 200, 200, 200, 200, 200, 200, 200),
    "GET /open311/v2/tokens/{token}.{fmt}":         Row(TOKEN,      404, 200, 404, 404, 404, 404, 404),
    "GET /open311/v2/servicerequestupdates.{fmt}":  Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    # -- reports: public side
    "GET /api/v1/services":                         Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/zones":                            Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "POST /api/v1/reports":                         Row(PUBLIC,     201, 201, 201, 201, 201, 201, 201),
    "GET /api/v1/reports/duplicates":               Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/reports":                          Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    # a report not assigned to the field agent: without reports.all it does not exist for them
    "GET /api/v1/reports/{report_id}":              Row(PUBLIC,     200, 200, 200, 404, 200, 200, 200),
    "GET /api/v1/track/{token}":                    Row(TOKEN,      404, 200, 404, 404, 404, 404, 404),
    "POST /api/v1/reports/{report_id}/follow":      Row(PUBLIC,     201, 201, 201, 201, 201, 201, 201),
    # a photo of a non-public report
    "GET /api/v1/photos/{key}":                     Row("reports.read", 401, 401, 401, 200, 200, 200, 200),
    "GET /api/v1/photos/{key}/thumbnail":           Row("reports.read", 401, 401, 401, 200, 200, 200, 200),
    "GET /api/v1/events/public":                    Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/events/track/{token}":             Row(TOKEN,      404, 200, 404, 404, 404, 404, 404),
    # -- reports: agents (a fresh report assigned to the field agent for each request)
    "POST /api/v1/reports/{report_id}/acknowledge": Row("reports.triage", 401, 401, 401, 403, 200, 200, 200),
    "POST /api/v1/reports/{report_id}/assign":      Row("reports.triage", 401, 401, 401, 403, 200, 200, 200),
    "POST /api/v1/reports/{report_id}/status":      Row("reports.work", 401, 401, 401, 200, 200, 200, 200),
    "POST /api/v1/reports/{report_id}/requalify":   Row("reports.triage", 401, 401, 401, 403, 200, 200, 200),
    "POST /api/v1/reports/{report_id}/move":        Row("reports.triage", 401, 401, 401, 403, 200, 200, 200),
    "POST /api/v1/reports/{report_id}/merge":       Row("reports.merge", 401, 401, 401, 403, 200, 200, 200),
    "POST /api/v1/reports/{report_id}/moderation":  Row("reports.moderate", 401, 401, 401, 403, 200, 200, 200),
    "POST /api/v1/reports/{report_id}/photos/{key}/moderation":
        Row("reports.moderate", 401, 401, 401, 403, 200, 200, 200),
    "GET /api/v1/events/agent":                     Row("reports.read", 401, 401, 401, 200, 200, 200, 200),
    "GET /api/v1/events/oplog":                     Row("oplog.read", 401, 401, 401, 403, 200, 200, 200),
    "GET /api/v1/pilotage/agents":                  Row("reports.triage", 401, 401, 401, 403, 200, 200, 200),
    "GET /api/v1/pilotage/queue":                   Row("reports.triage", 401, 401, 401, 403, 200, 200, 200),
    "GET /api/v1/pilotage/queue/map":               Row("reports.triage", 401, 401, 401, 403, 200, 200, 200),
    "GET /api/v1/pilotage/queue.csv":               Row("reports.triage", 401, 401, 401, 403, 200, 200, 200),
    "POST /api/v1/pilotage/queue/bulk":             Row("reports.triage", 401, 401, 401, 403, 200, 200, 200),
    "GET /api/v1/pilotage/suggest":                 Row("reports.intake", 401, 401, 401, 403, 200, 200, 200),
    "GET /api/v1/pilotage/stats":                   Row("stats.read", 401, 401, 401, 403, 403, 200, 200),
    "GET /api/v1/pilotage/reports/{report_id}/messages": Row("reports.read", 401, 401, 401, 200, 200, 200, 200),
    "POST /api/v1/pilotage/reports/{report_id}/resolution": Row("reports.work", 401, 401, 401, 200, 200, 200, 200),
    # handing back is the assigned agent's: others get a conflict, not a refusal
    "POST /api/v1/pilotage/reports/{report_id}/handback": Row("reports.work", 401, 401, 401, 200, 409, 409, 409),
    # -- accounts
    "POST /api/v1/auth/token":                      Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "POST /api/v1/auth/login":                      Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "POST /api/v1/auth/logout":                     Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/auth/me":                          Row("reports.read", 401, 401, 401, 200, 200, 200, 200),
    "GET /api/v1/auth/sessions":                    Row(AGENT,      401, 401, 401, 200, 200, 200, 200, 200, 200),
    # another agent's login: as if it did not exist
    "DELETE /api/v1/auth/sessions/{login_id}":      Row(AGENT,      401, 401, 401, 404, 404, 404, 404, 404, 404),
    "DELETE /api/v1/auth/sessions":                 Row(AGENT,      401, 401, 401, 200, 200, 200, 200, 200, 200),
    # the same password again: every login of the caller revoked (each request signs in anew)
    "POST /api/v1/auth/password":                   Row(AGENT,      401, 401, 401, 200, 200, 200, 200, 200, 200),
    # the agent's own sessions page: any agent; revoking another's login is as if it did not exist
    "GET /pilotage/sessions":                       Row(AGENT,      SIGN_IN, SIGN_IN, SIGN_IN, 200, 200, 200, 200,
                                                        200, 200),
    "POST /pilotage/sessions/{login_id}/revoquer":  Row(AGENT,      SIGN_IN, SIGN_IN, SIGN_IN, 404, 404, 404, 404,
                                                        404, 404),
    "POST /pilotage/sessions/revoquer-autres":      Row(AGENT,      SIGN_IN, SIGN_IN, SIGN_IN, 303, 303, 303, 303,
                                                        303, 303),
    # an empty form: the current password is wrong
    "POST /pilotage/mot-de-passe":                  Row(AGENT,      SIGN_IN, SIGN_IN, SIGN_IN, 422, 422, 422, 422,
                                                        422, 422),
    "GET /api/v1/users":                            Row("users.manage", 401, 401, 401, 403, 403, 403, 200),
    "PATCH /api/v1/users/{user_id}":                Row("users.manage", 401, 401, 401, 403, 403, 403, 404),
    "POST /api/v1/users/{user_id}/password":        Row("users.manage", 401, 401, 401, 403, 403, 403, 404),
    "GET /connexion":                               Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "POST /connexion":                              Row(PUBLIC,     303, 303, 303, 303, 303, 303, 303),
    "POST /deconnexion":                            Row(PUBLIC,     303, 303, 303, 303, 303, 303, 303),
    # -- catalogue
    "POST /api/v1/catalogue/reload":                Row("catalogue.manage", 401, 401, 401, 403, 403, 403, 200),
    # -- equipment
    "GET /api/v1/assets":                           Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/assets.geojson":                   Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/assets/states":                    Row(ALARMS, 401, 401, 401, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/assets/types":                     Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/assets/{asset_id}":                Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "POST /api/v1/assets":                          Row("assets.manage", 401, 401, 401, 403, 403, 201, 201),
    "POST /api/v1/assets/{asset_id}/status":        Row("assets.status", 401, 401, 401, 403, 200, 200, 200),
    # -- video protection: its two roles only (not even administrators); the public list for all
    "GET /api/v1/videoprotection/sites":            Row("video.cameras", 401, 401, 401, 403, 403, 403, 403, 200, 200),
    "POST /api/v1/videoprotection/sites":           Row("video.manage", 401, 401, 401, 403, 403, 403, 403, 201, 403),
    "GET /api/v1/videoprotection/sites/{site_id}":  Row("video.cameras", 401, 401, 401, 403, 403, 403, 403, 200, 200),
    "PUT /api/v1/videoprotection/sites/{site_id}":  Row("video.manage", 401, 401, 401, 403, 403, 403, 403, 200, 403),
    "GET /api/v1/videoprotection/cameras":          Row("video.cameras", 401, 401, 401, 403, 403, 403, 403, 200, 200),
    "GET /api/v1/videoprotection/cameras/{asset_id}": Row("video.cameras", 401, 401, 401, 403, 403, 403, 403, 200, 200),
    "PUT /api/v1/videoprotection/cameras/{asset_id}": Row("video.manage", 401, 401, 401, 403, 403, 403, 403, 200, 403),
    "GET /api/v1/videoprotection/alerts":           Row("video.cameras", 401, 401, 401, 403, 403, 403, 403, 200, 200),
    "POST /api/v1/videoprotection/alerts/check":    Row("video.manage", 401, 401, 401, 403, 403, 403, 403, 200, 403),
    "GET /api/v1/videoprotection/register":         Row("video.extractions", 401, 401, 401, 403, 403, 403, 403, 403, 200),
    "POST /api/v1/videoprotection/register":        Row("video.extractions", 401, 401, 401, 403, 403, 403, 403, 403, 201),
    "GET /api/v1/videoprotection/register/{extraction_id}": Row("video.extractions", 401, 401, 401, 403, 403, 403, 403, 403, 200),
    "POST /api/v1/videoprotection/register/{extraction_id}/destruction": Row("video.extractions", 401, 401, 401, 403, 403, 403, 403, 403, 200),
    "GET /api/v1/videoprotection/consultations":    Row("video.extractions", 401, 401, 401, 403, 403, 403, 403, 403, 200),
    "GET /api/v1/videoprotection/public.json":      Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/videoprotection/public.csv":       Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /videoprotection":                         Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    # -- operations log (main courante)
    "GET /api/v1/oplog":                            Row("oplog.read", 401, 401, 401, 403, 200, 200, 200),
    "GET /api/v1/oplog/services":                   Row("oplog.read", 401, 401, 401, 403, 200, 200, 200),
    "GET /api/v1/oplog.csv":                        Row("oplog.read", 401, 401, 401, 403, 200, 200, 200),
    "GET /api/v1/oplog/summary":                    Row("oplog.read", 401, 401, 401, 403, 200, 200, 200),
    "GET /api/v1/oplog/{entry_id}":                 Row("oplog.read", 401, 401, 401, 403, 200, 200, 200),
    "POST /api/v1/oplog":                           Row("oplog.write", 401, 401, 401, 403, 201, 201, 201),
    "POST /api/v1/oplog/{entry_id}/corrections":    Row("oplog.write", 401, 401, 401, 403, 201, 201, 201),
    # the video-protection roles see the cameras' alarms only: a street light's does not exist for them
    "GET /api/v1/alarms":                           Row(ALARMS, 401, 401, 401, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/alarms/summary":                   Row(ALARMS, 401, 401, 401, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/alarms/{alarm_id}":                Row(ALARMS, 401, 401, 401, 200, 200, 200, 200, 404, 404),
    "POST /api/v1/alarms/{alarm_id}/acknowledge":   Row("alarms.handle", 401, 401, 401, 403, 200, 200, 200, 404, 403),
    "POST /api/v1/alarms/{alarm_id}/assign":        Row("alarms.handle", 401, 401, 401, 403, 200, 200, 200, 404, 403),
    "POST /api/v1/alarms/{alarm_id}/comment":       Row("alarms.handle", 401, 401, 401, 403, 200, 200, 200, 404, 403),
    "POST /api/v1/alarms/{alarm_id}/clear":         Row("alarms.clear", 401, 401, 401, 403, 403, 200, 200, 404, 403),
    "GET /api/v1/assets/{asset_id}/lamps":          Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "POST /api/v1/assets/{asset_id}/lamps":         Row("assets.manage", 401, 401, 401, 403, 403, 201, 201),
    "GET /api/v1/lighting/energy":                  Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/lighting/compliance":              Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/lighting/switch-off":              Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/lighting/cabinets":                Row("reports.read", 401, 401, 401, 200, 200, 200, 200),
    "GET /api/v1/lighting/measured":                Row("reports.read", 401, 401, 401, 200, 200, 200, 200),
    "GET /api/v1/lighting/compliance/points.geojson": Row("reports.read", 401, 401, 401, 200, 200, 200, 200),
    "PUT /api/v1/lighting/switch-off/{zone}":       Row("lighting.manage", 401, 401, 401, 403, 403, 200, 200),
    "DELETE /api/v1/lighting/switch-off/{zone}":    Row("lighting.manage", 401, 401, 401, 403, 403, 204, 204),
    "GET /api/v1/telemetry/status":                 Row("reports.read", 401, 401, 401, 200, 200, 200, 200),
    "GET /api/v1/telemetry/dead-letters":           Row("reports.read", 401, 401, 401, 200, 200, 200, 200),
    "GET /api/v1/telemetry/{asset_id}":             Row("reports.read", 401, 401, 401, 200, 200, 200, 200),
    "GET /api/v1/lighting/schedules":               Row("lighting.manage", 401, 401, 401, 403, 403, 200, 200),
    "POST /api/v1/lighting/schedules":              Row("lighting.manage", 401, 401, 401, 403, 403, 201, 201),
    "PATCH /api/v1/lighting/schedules/{schedule_id}": Row("lighting.manage", 401, 401, 401, 403, 403, 200, 200),
    "GET /api/v1/lighting/schedules/{schedule_id}/program": Row("lighting.manage", 401, 401, 401, 403, 403, 200, 200),
    "GET /api/v1/lighting/schedule-changes":        Row("lighting.manage", 401, 401, 401, 403, 403, 200, 200),
    "POST /api/v1/lighting/schedule-changes":       Row("lighting.manage", 401, 401, 401, 403, 403, 201, 201),
    "POST /api/v1/commands":                        Row("lighting.manage", 401, 401, 401, 403, 403, 202, 202),
    "GET /api/v1/commands":                         Row("lighting.manage", 401, 401, 401, 403, 403, 200, 200),
    "GET /api/v1/commands/{command_id}":            Row("lighting.manage", 401, 401, 401, 403, 403, 200, 200),
    # The LED plan needs a budget or a crew: asked without a query, it says so (422).
    "GET /api/v1/lighting/plan":                    Row("stats.read", 401, 401, 401, 403, 403, 422, 422),
    "GET /api/v1/lighting/plan.csv":                Row("stats.read", 401, 401, 401, 403, 403, 422, 422),
    "GET /api/v1/lighting/plan.xlsx":               Row("stats.read", 401, 401, 401, 403, 403, 422, 422),
    "GET /api/v1/lighting/plan.geojson":            Row("stats.read", 401, 401, 401, 403, 403, 422, 422),
    # -- traffic regulation
    "GET /api/v1/traffic/controllers":              Row("traffic.read", 401, 401, 401, 403, 200, 200, 200),
    "GET /api/v1/traffic/priority":                 Row("traffic.read", 401, 401, 401, 403, 200, 200, 200),
    "GET /api/v1/traffic/detectors/{asset_id}/flow": Row("traffic.read", 401, 401, 401, 403, 200, 200, 200),
    "GET /api/v1/traffic/events.geojson":           Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "POST /api/v1/traffic/events":                  Row("traffic.manage", 401, 401, 401, 403, 201, 201, 201),
    "PUT /api/v1/traffic/events/{event_id}":        Row("traffic.manage", 401, 401, 401, 403, 200, 200, 200),
    "POST /api/v1/traffic/events/{event_id}/end":   Row("traffic.manage", 401, 401, 401, 403, 200, 200, 200),
    # -- winter service
    "GET /api/v1/winter":                           Row("winter.read", 401, 401, 401, 403, 200, 200, 200),
    "POST /api/v1/winter/level":                    Row("winter.manage", 401, 401, 401, 403, 200, 200, 200),
    "POST /api/v1/winter/proposals/{proposal_id}/decision": Row("winter.manage", 401, 401, 401, 403, 200, 200, 200),
    "GET /api/v1/winter/circuits":                  Row("winter.read", 401, 401, 401, 403, 200, 200, 200),
    "POST /api/v1/winter/circuits":                 Row("winter.manage", 401, 401, 401, 403, 201, 201, 201),
    "POST /api/v1/winter/circuits/{circuit_id}/vehicle": Row("winter.manage", 401, 401, 401, 403, 200, 200, 200),
    "GET /api/v1/winter/assignments":               Row("winter.read", 401, 401, 401, 403, 200, 200, 200),
    "PUT /api/v1/winter/assignments":               Row("winter.manage", 401, 401, 401, 403, 200, 200, 200),
    "GET /api/v1/winter/conditions":                Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "POST /api/v1/winter/conditions":               Row("winter.manage", 401, 401, 401, 403, 200, 200, 200),
    "POST /api/v1/winter/salt":                     Row("winter.manage", 401, 401, 401, 403, 200, 200, 200),
    # -- open data: the public portal, the publishers' API, the ethics committee's
    "GET /donnees":                                 Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /donnees/comite":                          Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /donnees/{dataset_id}":                    Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404),
    # the DCAT-AP catalogue (negotiated, or .jsonld/.ttl/.rdf): an empty catalogue still answers
    "GET /donnees/catalogue":                       Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /donnees/catalogue.{ext}":                 Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /donnees/{dataset_id}/versions/{version}": Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404),
    "HEAD /donnees/{dataset_id}/versions/{version}": Row(PUBLIC,    404, 404, 404, 404, 404, 404, 404),
    # the records API on Opendatasoft's Explore v2.1 URLs (a dataset nobody published: 404)
    "GET /api/explore/v2.1/catalog/datasets":       Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/explore/v2.1/catalog/datasets/{dataset_id}": Row(PUBLIC, 404, 404, 404, 404, 404, 404, 404),
    "GET /api/explore/v2.1/catalog/datasets/{dataset_id}/records":
        Row(PUBLIC, 404, 404, 404, 404, 404, 404, 404),
    "GET /api/explore/v2.1/catalog/datasets/{dataset_id}/exports/{fmt}":
        Row(PUBLIC, 404, 404, 404, 404, 404, 404, 404),
    "GET /api/explore/v2.1/catalog/datasets/{dataset_id}/exports":
        Row(PUBLIC, 404, 404, 404, 404, 404, 404, 404),
    # OGC API – Features over the published releases (no dataset published: no collection)
    "GET /api/ogc":                                 Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/ogc/conformance":                     Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/ogc/api":                             Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/ogc/collections":                     Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /api/ogc/collections/{collection_id}":     Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404),
    "GET /api/ogc/collections/{collection_id}/items": Row(PUBLIC,   404, 404, 404, 404, 404, 404, 404),
    "GET /api/ogc/collections/{collection_id}/items/{feature_id}":
        Row(PUBLIC, 404, 404, 404, 404, 404, 404, 404),
    # reusers' API keys: asking (no body: 422), the e-mail's link, a key's usage, the staff's list
    "POST /api/v1/reuser-keys/requests":            Row(PUBLIC,     422, 422, 422, 422, 422, 422, 422),
    "GET /api/v1/reuser-keys/me":                   Row(REUSER_KEY, 401, 401, 401, 401, 401, 401, 401),
    "GET /api/v1/reuser-keys":                      Row("opendata.keys", 401, 401, 401, 403, 403, 200, 200),
    "POST /api/v1/reuser-keys":                     Row("opendata.keys", 401, 401, 401, 403, 403, 422, 422),
    "PUT /api/v1/reuser-keys/{key_id}/quota":       Row("opendata.keys", 401, 401, 401, 403, 403, 422, 422),
    "DELETE /api/v1/reuser-keys/{key_id}":          Row("opendata.keys", 401, 401, 401, 403, 403, 404, 404),
    "GET /api/v1/api-keys":                         Row("users.manage", 401, 401, 401, 403, 403, 403, 200),
    "DELETE /api/v1/api-keys/{key_id}":             Row("users.manage", 401, 401, 401, 403, 403, 403, 404),
    "GET /donnees/cles":                            Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "POST /donnees/cles":                           Row(PUBLIC,     422, 422, 422, 422, 422, 422, 422),
    "GET /donnees/cles/confirmer/{token}/{code}":   Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404),
    "POST /donnees/cles/confirmer/{token}/{code}":  Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404),
    "POST /donnees/cles/usage":                     Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404),
    "GET /donnees/cles/gestion":                    Row("opendata.keys", SIGN_IN, SIGN_IN, SIGN_IN, 403, 403, 200, 200),
    "GET /donnees/gestion/fichiers":                Row("opendata.publish", SIGN_IN, SIGN_IN, SIGN_IN, 403, 403, 200, 200),
    "GET /donnees/gestion/publications":            Row("opendata.publish", SIGN_IN, SIGN_IN, SIGN_IN, 403, 403, 200, 200),
    "POST /donnees/gestion/publications/{dataset_id}/construire":
        Row("opendata.publish", SIGN_IN, SIGN_IN, SIGN_IN, 403, 403, 404, 404),
    "GET /donnees/gestion/publications/{dataset_id}/regles":
        Row("opendata.publish", SIGN_IN, SIGN_IN, SIGN_IN, 403, 403, 404, 404),
    "POST /donnees/gestion/publications/{dataset_id}/regles":
        Row("opendata.publish", SIGN_IN, SIGN_IN, SIGN_IN, 403, 403, 404, 404),
    # (an empty body is not a multipart file: 415; no file is staged under the key asked)
    "POST /api/v1/opendata/uploads":                Row("opendata.publish", 401, 401, 401, 403, 403, 415, 415),
    "POST /api/v1/opendata/uploads/{key}/publish":  Row("opendata.publish", 401, 401, 401, 403, 403, 404, 404),
    # the data lab (no query saved under the id asked)
    "GET /labo":                                    Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "GET /labo/{query_id}":                         Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404),
    "POST /api/v1/lab/query":                       Row(PUBLIC,     200, 200, 200, 200, 200, 200, 200),
    "POST /api/v1/lab/queries":                     Row(PUBLIC,     201, 201, 201, 201, 201, 201, 201),
    "GET /api/v1/lab/queries/{query_id}":           Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404),
    "GET /api/v1/lab/queries/{query_id}/result":    Row(PUBLIC,     404, 404, 404, 404, 404, 404, 404),
    "GET /api/v1/opendata/datasets":                Row("opendata.publish", 401, 401, 401, 403, 403, 200, 200),
    "POST /api/v1/opendata/datasets":               Row("opendata.publish", 401, 401, 401, 403, 403, 422, 422),
    "POST /api/v1/opendata/datasets/{dataset_id}/file": Row("opendata.publish", 401, 401, 401, 403, 403, 404, 404),
    "POST /api/v1/opendata/datasets/{dataset_id}/releases": Row("opendata.publish", 401, 401, 401, 403, 403, 404, 404),
    "POST /api/v1/opendata/datasets/{dataset_id}/proposals": Row("opendata.publish", 401, 401, 401, 403, 403, 404, 404),
    # (a caller whose role may sit on the committee is seated first; an empty body is refused)
    "POST /api/v1/opendata/proposals/{proposal_id}/comments": Row("opendata.review", 401, 401, 401, 403, 403, 422, 422),
    "POST /api/v1/opendata/proposals/{proposal_id}/votes": Row("opendata.review", 401, 401, 401, 403, 403, 422, 422),
    "POST /api/v1/opendata/proposals/{proposal_id}/decision": Row("opendata.review", 401, 401, 401, 403, 403, 422, 422),
    "PUT /api/v1/opendata/committee/{user_id}":     Row("opendata.committee", 401, 401, 401, 403, 403, 403, 404),
    "DELETE /api/v1/opendata/committee/{user_id}":  Row("opendata.committee", 401, 401, 401, 403, 403, 403, 200),
    # -- agents' pages (anonymous callers are sent to the sign-in form: 303)
    "GET /pilotage":                                Row("reports.all", SIGN_IN, SIGN_IN, SIGN_IN, TERRAIN, 200, 200, 200, VIDEO, VIDEO),
    "GET /pilotage/signalements/{report_id}":       Row("reports.all", SIGN_IN, SIGN_IN, SIGN_IN, TERRAIN, 200, 200, 200),
    "GET /pilotage/signalements/{report_id}/panneau": Row(AGENT, SIGN_IN, SIGN_IN, SIGN_IN, 200, 200, 200, 200, 404, 404),
    "GET /pilotage/appel":                          Row("reports.intake", SIGN_IN, SIGN_IN, SIGN_IN, 403, 200, 200, 200),
    "GET /pilotage/tableau-de-bord":                Row("stats.read", SIGN_IN, SIGN_IN, SIGN_IN, 403, 403, 200, 200),
    "GET /pilotage/eclairage":                      Row("stats.read", SIGN_IN, SIGN_IN, SIGN_IN, 403, 403, 200, 200),
    "GET /pilotage/eclairage/plan":                 Row("stats.read", SIGN_IN, SIGN_IN, SIGN_IN, 403, 403, 200, 200),
    "GET /pilotage/equipements":                    Row("alarms.handle", SIGN_IN, SIGN_IN, SIGN_IN, 403, 200, 200, 200),
    "GET /pilotage/alarmes":                        Row("alarms.handle", SIGN_IN, SIGN_IN, SIGN_IN, 403, 200, 200, 200),
    "GET /pilotage/equipements/{asset_id}":         Row(AGENT, SIGN_IN, SIGN_IN, SIGN_IN, 200, 200, 200, 200),
    "GET /pilotage/trafic":                         Row("traffic.read", SIGN_IN, SIGN_IN, SIGN_IN, 403, 200, 200, 200),
    "GET /pilotage/hiver":                          Row("winter.read", SIGN_IN, SIGN_IN, SIGN_IN, 403, 200, 200, 200),
    "GET /pilotage/hiver/affectations":             Row("winter.read", SIGN_IN, SIGN_IN, SIGN_IN, 403, 200, 200, 200),
    "GET /pilotage/main-courante":                  Row("oplog.read", SIGN_IN, SIGN_IN, SIGN_IN, 403, 200, 200, 200, 200, 200),
    "GET /pilotage/videoprotection":                Row("video.cameras", SIGN_IN, SIGN_IN, SIGN_IN, 403, 403, 403, 403, 200, 200),
    "GET /pilotage/videoprotection/registre":       Row("video.extractions", SIGN_IN, SIGN_IN, SIGN_IN, 403, 403, 403, 403, 403, 200),
    "GET /pilotage/videoprotection/systemes/nouveau": Row("video.manage", SIGN_IN, SIGN_IN, SIGN_IN, 403, 403, 403, 403, 200, 403),
    "GET /pilotage/videoprotection/systemes/{site_id}": Row("video.cameras", SIGN_IN, SIGN_IN, SIGN_IN, 403, 403, 403, 403, 200, 200),
    "GET /pilotage/videoprotection/cameras/{asset_id}": Row("video.cameras", SIGN_IN, SIGN_IN, SIGN_IN, 403, 403, 403, 403, 200, 200),
    "GET /terrain":                                 Row(AGENT, SIGN_IN, SIGN_IN, SIGN_IN, 200, 200, 200, 200),
    "GET /terrain/signalements/{report_id}":        Row(AGENT, SIGN_IN, SIGN_IN, SIGN_IN, 200, 200, 200, 200, 404, 404),
}
# fmt: on


def app_routes(app: Any) -> list[str]:
    """``METHOD path`` of every route the app serves (HEAD beside GET answers like GET)."""
    found = set()
    for route in iter_route_contexts(app.routes):
        methods = route.methods or set()
        for method in methods:
            if method != "HEAD" or "GET" not in methods:
                found.add(f"{method} {route.path}")
    return sorted(found)


def test_web_access_every_route_is_in_the_table(app) -> None:  # type: ignore[no-untyped-def]
    served = app_routes(app)
    assert len(served) > 50, "the router walk finds too few routes: it is out of date"
    missing = [r for r in served if r not in ROUTES]
    assert not missing, "declare who may call these routes in ROUTES:\n" + "\n".join(missing)
    gone = sorted(set(ROUTES) - set(served))
    assert not gone, f"ROUTES names routes the app does not serve: {gone}"


def _refusal_expected(needs: str, caller: str) -> bool:
    """Whether the registry (or a need that is not a permission) refuses ``caller``."""
    if needs in (PUBLIC, MONITORING):  # MONITORING: every caller is on the loopback network
        return False
    if needs == API_KEY:
        return caller != "api_key"
    if needs == REUSER_KEY:
        return True
    if needs == ALARMS:
        return caller not in AGENTS or not any(
            allows(AGENTS[caller], p) for p in ("reports.read", "video.cameras")
        )
    if needs in (TOKEN, ACCOUNT):
        return caller != "resident"
    if caller not in AGENTS:
        return True
    return needs != AGENT and not allows(AGENTS[caller], needs)


def test_web_access_table_agrees_with_the_registry() -> None:
    wrong = []
    for route, row in ROUTES.items():
        assert row.needs in PERMISSIONS or row.needs in (
            PUBLIC,
            AGENT,
            TOKEN,
            API_KEY,
            ALARMS,
            MONITORING,
            ACCOUNT,
            REUSER_KEY,
        ), route
        for caller, status in zip(CALLERS, row.answers, strict=True):
            refused = _refusal_expected(row.needs, caller)
            # Without the right token a report is not found; other refusals are DENIED answers.
            said_no = status == 404 if row.needs == TOKEN else status in DENIED
            if said_no != refused:
                wrong.append(
                    f"{route}: {caller} gets {status}, but needs {row.needs!r} "
                    f"{'refuses' if refused else 'allows'} them"
                )
            # An agent told a report does not exist lacks the scope of every report.
            scoped = "{report_id}" in route and caller in AGENTS
            if scoped and status == 404 and allows(AGENTS[caller], "reports.all"):
                wrong.append(f"{route}: {caller} gets 404, but holds reports.all")
    assert not wrong, "the table and accounts/permissions.py disagree:\n" + "\n".join(wrong)


# --- making the requests --------------------------------------------------------


@dataclass
class World:
    """What the requests point at: reports, a photo, an asset, an alarm, lighting…"""

    v: Vigie
    agents: dict[str, Agent]
    api_key: str
    report_id: int = 0  # public, assigned to the field agent
    other_id: int = 0  # public, assigned to nobody
    token: str = ""
    photo_key: str = ""  # of a non-public report
    asset_id: str = "SL-00001"
    alarm_id: int = 0
    entry_id: int = 0  # an entry of the operations log
    camera_id: str = "CAM-00001"  # a camera, in a video-protection site
    site_id: int = 0
    extraction_id: int = 0
    schedule_id: int = 0
    command_id: str = ""
    # the e-mail links of a resident following a report: confirm the address, stop the e-mails
    confirm_path: str = ""
    stop_path: str = ""
    detector_id: str = "DET-001"
    circuit_id: int = 0
    erase_path: str = ""  # the link of a resident's erasure request
    resume_path: str = ""  # sign-in links sent again to an address whose owner stopped them
    seq: Iterator[int] = field(default_factory=lambda: iter(range(1, 1_000_000)))

    def new_road_event(self) -> int:
        draft = traffic_actions.check_event(ROAD_EVENT)
        return int(traffic_actions.do_create_event(self.v, SYSTEM, draft)["id"])

    def new_proposal(self) -> int:
        from vigie.winter.storage import ProposalRow

        with self.v.db.session(write=True) as s:
            row = ProposalRow(
                level="alerte",
                rule="surface-freezing",
                alarm_id=next(self.seq) + 10_000,
                station_id="RWS-01",
                title="Chaussée sous zéro",
                created_at=utcnow(),
            )
            s.add(row)
            s.commit()
            return int(row.id)

    def new_report(self, assigned: bool = True, **over: Any) -> int:
        photos = over.pop("photos", [])
        body = report_body(channel="web", reporter_email="habitant@example.org")
        body.update(over)
        body["address"] = body.pop("address", "")
        sub = intake.Submission(**body)
        row, _ = intake.do_submit_report(self.v, intake.check_submission(self.v, sub), photos)
        if assigned:
            do_assign(self.v, row.id, SYSTEM, user_id=self.agents["field_agent"].id)
        return int(row.id)

    def new_alarm(self) -> int:
        now = utcnow()
        n = next(self.seq)
        with self.v.db.session(write=True) as s:
            row = AlarmRow(
                asset_id=self.asset_id,
                asset_type="streetlight",
                zone="21231",
                lat=DIJON["lat"],
                long=DIJON["long"],
                type="lamp-failure",
                severity="major",
                state="active_unacknowledged",
                active=True,
                active_key=f"test-{n}",
                title="Lampe en panne",
                details={},
                first_seen=now,
                last_seen=now,
                updated_at=now,
            )
            s.add(row)
            s.commit()
            return int(row.id)


@pytest.fixture
def vigie_settings(vigie_settings: Settings, tmp_path: Path) -> Settings:
    """The suite's settings with a small basemap archive, so that its route answers."""
    archive = build_archive(tmp_path / "basemap.pmtiles", json.loads(COMMUNES.read_text(encoding="utf-8")))
    return vigie_settings.model_copy(update={"basemap": str(archive)})


@pytest.fixture
def world(vigie: Vigie, make_agent: Callable[..., Agent], tmp_path: Path) -> World:
    w = World(
        vigie,
        {name: make_agent(role.value) for name, role in AGENTS.items()},
        do_create_api_key(vigie.db, "route walk"),
    )
    w.report_id = w.new_report()
    w.other_id = w.new_report(assigned=False)
    w.token = intake_token(vigie, w.report_id)
    _, follower = do_follow(vigie, w.report_id, "voisine@example.org")
    w.confirm_path = confirm_path(vigie.settings.secret_key, follower)
    w.stop_path = stop_path(vigie.settings.secret_key, follower)
    do_request_erasure(vigie, "efface@example.org")
    with vigie.db.session() as s:
        token = s.scalar(select(ErasureRow.token))
    w.erase_path = erase_path(vigie.settings.secret_key, str(token))
    do_request_link(vigie, "reprise@example.org", "fr", "test-world")
    with vigie.db.session() as s:
        signin = s.scalar(select(OutboxRow.token).where(OutboxRow.recipient == "reprise@example.org"))
    w.resume_path = stop_path(vigie.settings.secret_key, str(signin)).replace("/arreter/", "/reprendre/")
    code, attributes = sensitive_service(vigie)
    photo = process_photo(jpeg_bytes(), max_bytes=10_000_000, max_pixels=50_000_000, filename="p.jpg")
    private = w.new_report(service_code=code, attributes=attributes, photos=[photo])
    w.photo_key = photo_key(vigie, private)
    add_asset(vigie, w.asset_id, "street_light", lampTechnology="LED", powerRating=40, lanternHeight=6)
    w.alarm_id = w.new_alarm()
    w.entry_id = do_write(vigie, w.agents["operator"], "control", "Prise de poste")["id"]
    add_asset(vigie, w.detector_id, "traffic_detector", detectorType="inductiveLoop")
    add_asset(vigie, "VEH-001", "vehicle", vehicleRole="salt_spreader")  # a circuit's vehicle
    (w.circuit_id,) = winter_actions.do_create_circuits(
        vigie, SYSTEM, [winter_actions.check_circuit(CIRCUIT)]
    )
    add_asset(vigie, w.camera_id, "camera")
    w.site_id = video_site(vigie, w.agents["video_operator"])["id"]
    video.do_set_camera(
        vigie,
        w.agents["video_operator"],
        w.camera_id,
        w.site_id,
        overlooks_private=False,
        privacy_masks=False,
        signage=True,
    )
    w.extraction_id = register.do_register_extraction(
        vigie, w.agents["video_registrar"], extraction(w.camera_id)
    )["id"]
    w.schedule_id = lighting.save_schedule(vigie, {"name": "Nuit", "group": "G-001"})["id"]
    (w.command_id,) = lighting.queue_commands(vigie, [w.asset_id], "switch", {"powerState": "on"}, "test")
    _transport_and_places(vigie, tmp_path)
    return w


def _transport_and_places(v: Vigie, tmp_path: Path) -> None:
    """A stop and a place: the residents' transport and places pages answer only with data
    (web.deps.data_published). No library catalogue: its page and API answer 404."""
    from vigie.places.importer import do_import_places
    from vigie.transport.storage import TransitStopRow

    with v.db.session(write=True) as s:
        s.add(TransitStopRow(id="world-stop", name="République", lat=DIJON["lat"], lon=DIJON["long"]))
        s.commit()
    places = tmp_path / "lieux.csv"
    places.write_text(f"id,nom,lat,lon\n1,Mairie,{DIJON['lat']},{DIJON['long']}\n", encoding="utf-8")
    mapping = tmp_path / "lieux.yaml"
    mapping.write_text(
        "format: csv\nlocation: {lat: lat, long: lon}\n"
        "fields:\n  name: {column: nom}\n  theme: {value: facilities}\n",
        encoding="utf-8",
    )
    do_import_places(v, places, str(mapping))


def intake_token(v: Vigie, report_id: int) -> str:
    from vigie.reports.actions import get_report

    return str(get_report(v, report_id).token)


def photo_key(v: Vigie, report_id: int) -> str:
    from sqlalchemy import select

    from vigie.reports.storage import PhotoRow

    with v.db.session() as s:
        return str(s.scalar(select(PhotoRow.key).where(PhotoRow.report_id == report_id)))


@dataclass
class Call:
    method: str
    url: str
    kwargs: dict[str, Any] = field(default_factory=dict)


Fill = Callable[[World, str], Call]


def _path(route: str, w: World, caller: str, **given: Any) -> str:
    """The route's path with its parameters filled from the world (or ``given``)."""
    values: dict[str, Any] = {
        "fmt": "json",
        "path": "css/vigie.css",
        "report_id": w.report_id,
        "service_request_id": w.report_id,
        "token": w.token if caller == "resident" else "unknown-token-unknown-token-unknown",
        "key": w.photo_key,
        "service_code": "nid-de-poule",
        "asset_id": w.asset_id,
        "alarm_id": w.alarm_id,
        "entry_id": w.entry_id,
        "site_id": w.site_id,
        "extraction_id": w.extraction_id,
        "schedule_id": w.schedule_id,
        "command_id": w.command_id,
        "name": "lignes",
        "kind": "privacy",
        "stop_id": "no-timetable-in-this-world",
        "dataset_id": "no-such-dataset",
        "key_id": 999_999,
        "code": "no-such-code",
        "ext": "ttl",
        "collection_id": "no-such-collection",
        "feature_id": 1,
        "query_id": "no-such-query",
        "version": 1,
        "proposal_id": 999_999,
        "user_id": 999_999,
        "place_id": "no-place-in-this-world",
        "slug": "no-page-in-this-world",
        "zone": "21231",
        "reminder_id": 999_999,
        "login_id": 999_999,
        **given,
    }
    path = route.split(" ", 1)[1]
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(values[m.group(1)]), path)


def _plain(route: str, **kwargs: Any) -> Fill:
    return lambda w, caller: Call(route.split(" ", 1)[0], _path(route, w, caller), kwargs)


def _on_new_report(route: str, **kwargs: Any) -> Fill:
    def fill(w: World, caller: str) -> Call:
        extra = {k: (val(w) if callable(val) else val) for k, val in kwargs.items()}
        return Call("POST", _path(route, w, caller, report_id=w.new_report()), extra)

    return fill


def _on_new_photo(w: World, caller: str) -> Call:
    photo = process_photo(jpeg_bytes(), max_bytes=10_000_000, max_pixels=50_000_000, filename="p.jpg")
    rid = w.new_report(photos=[photo])
    route = "POST /api/v1/reports/{report_id}/photos/{key}/moderation"
    path = _path(route, w, caller, report_id=rid, key=photo_key(w.v, rid))
    return Call("POST", path, {"json": {"state": "blurred"}})


def _on_new_alarm(route: str, **kwargs: Any) -> Fill:
    return lambda w, caller: Call("POST", _path(route, w, caller, alarm_id=w.new_alarm()), kwargs)


def _mail_link(method: str, link: Callable[[World], str]) -> Fill:
    """The resident opens their own link; the others, the same link with someone else's token."""

    def fill(w: World, caller: str) -> Call:
        path = link(w)
        if caller != "resident":
            base, _token, code = path.rsplit("/", 2)
            path = f"{base}/unknown-token-unknown-token/{code}"
        return Call(method, path)

    return fill


def _sign_in_link(w: World, caller: str) -> str:
    """The resident opens a sign-in link e-mailed to them (a new one: posting it uses it)."""
    if caller != "resident":
        return "/compte/lien/unknown-link-unknown-link-unknown-link"
    address = f"lien{next(w.seq)}@example.org"
    do_request_link(w.v, address, "fr", "test-world")
    with w.v.db.session() as s:
        body = s.scalars(select(OutboxRow.body_text).where(OutboxRow.recipient == address)).one()
    found = re.search(r"(/compte/lien/[A-Za-z0-9_-]+)", body)
    assert found, body
    return found.group(1)


def _resident_session(w: World) -> tuple[str, str]:
    """A new resident account signed in: (session cookie, CSRF token)."""
    n = next(w.seq)
    session, csrf = f"resident-session-{n}-{w.v.settings.secret_key[:8]}", f"resident-csrf-{n}"
    with w.v.db.session(write=True) as s:
        resident = ResidentRow(email=f"habitant{n}@example.org", lang="fr", created_at=utcnow())
        s.add(resident)
        s.flush()
        s.add(
            ResidentSessionRow(
                token_hash=secret_hash(session),
                resident_id=resident.id,
                csrf_token=csrf,
                created_at=utcnow(),
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
        s.commit()
    return session, csrf


def _resolution(w: World, caller: str) -> Call:
    rid = w.new_report()
    files = [("photos", ("fix.jpg", io.BytesIO(jpeg_bytes()), "image/jpeg"))]
    return Call(
        "POST",
        f"/api/v1/pilotage/reports/{rid}/resolution",
        {"files": files, "data": {"public_note": "Réparé"}},
    )


def _new_asset(w: World, caller: str) -> Call:
    body = {
        "id": f"CAB-{next(w.seq):05d}",
        "type": "control_cabinet",
        "lat": DIJON["lat"],
        "long": DIJON["long"],
        "attributes": {"workingMode": "automatic", "maximumPowerAvailable": 12},
    }
    return Call("POST", "/api/v1/assets", {"json": body})


def _open311_post(w: World, caller: str) -> Call:
    data = {
        "service_code": "nid-de-poule",
        "lat": DIJON["lat"],
        "long": DIJON["long"],
        "attribute[danger_immediat]": "non",
        "description": "Trou",
    }
    return Call("POST", "/open311/v2/requests.json", {"data": data})


def _seated(route: str) -> Fill:
    """The caller sits on the ethics committee when their role may (only members vote)."""

    def fill(w: World, caller: str) -> Call:
        from vigie.opendata.review import do_add_member

        if caller in AGENTS and allows(AGENTS[caller], "opendata.review"):
            do_add_member(w.v, SYSTEM, w.agents[caller].id)
        return Call("POST", _path(route, w, caller))

    return fill


CALLS: dict[str, Fill] = {
    "POST /api/v1/opendata/proposals/{proposal_id}/comments": _seated(
        "POST /api/v1/opendata/proposals/{proposal_id}/comments"
    ),
    "POST /api/v1/opendata/proposals/{proposal_id}/votes": _seated(
        "POST /api/v1/opendata/proposals/{proposal_id}/votes"
    ),
    "POST /api/v1/opendata/proposals/{proposal_id}/decision": _seated(
        "POST /api/v1/opendata/proposals/{proposal_id}/decision"
    ),
    "GET /api/v1/reports/{report_id}": lambda w, c: Call("GET", f"/api/v1/reports/{w.other_id}"),
    "GET /api/v1/reports/duplicates": _plain(
        "GET /api/v1/reports/duplicates", params={"service_code": "nid-de-poule", **DIJON}
    ),
    "GET /api/v1/addresses": _plain("GET /api/v1/addresses", params={"q": "Dijon"}),
    "PUT /api/v1/info-pages/{slug}": lambda w, c: Call(
        "PUT",
        "/api/v1/info-pages/horaires",
        {"json": {"title_fr": "Horaires", "body_fr": "Du lundi au vendredi."}},
    ),
    "GET /api/v1/library/search": _plain("GET /api/v1/library/search", params={"q": "colette"}),
    "GET /dechets/calendrier.ics": _plain("GET /dechets/calendrier.ics", params={"commune": "21231"}),
    "GET /api/v1/transport/stops/near": _plain(
        "GET /api/v1/transport/stops/near", params={"lat": DIJON["lat"], "lon": DIJON["long"]}
    ),
    "POST /open311/v2/requests.{fmt}": _open311_post,
    "GET /courriel/confirmer/{token}/{code}": _mail_link("GET", lambda w: w.confirm_path),
    "POST /courriel/confirmer/{token}/{code}": _mail_link("POST", lambda w: w.confirm_path),
    "GET /courriel/arreter/{token}/{code}": _mail_link("GET", lambda w: w.stop_path),
    "POST /courriel/arreter/{token}/{code}": _mail_link("POST", lambda w: w.stop_path),
    "POST /courriel/reprendre/{token}/{code}": _mail_link("POST", lambda w: w.resume_path),
    "GET /courriel/effacer/{token}/{code}": _mail_link("GET", lambda w: w.erase_path),
    "POST /courriel/effacer/{token}/{code}": _mail_link("POST", lambda w: w.erase_path),
    "GET /compte/lien/{token}": lambda w, c: Call("GET", _sign_in_link(w, c)),
    "POST /compte/lien/{token}": lambda w, c: Call("POST", _sign_in_link(w, c)),
    "POST /compte/connexion": lambda w, c: Call(
        "POST", "/compte/connexion", {"data": {"email": f"compte{next(w.seq)}@example.org"}}
    ),
    "POST /compte/supprimer": lambda w, c: Call("POST", "/compte/supprimer", {"data": {"confirmer": "1"}}),
    "POST /compte/rappels": lambda w, c: Call(
        "POST",
        "/compte/rappels",
        {
            "data": {
                "label": "1 rue X",
                "commune": "21231",
                "rue": "",
                "streams": ["household"],
                "at": "19:00",
            }
        },
    ),
    "POST /api/v1/resident/merge": _plain(
        "POST /api/v1/resident/merge", json={"reports": [], "favourites": []}
    ),
    "POST /api/v1/resident/reports": lambda w, c: Call(
        "POST", "/api/v1/resident/reports", {"json": {"token": w.token}}
    ),
    "POST /api/v1/resident/favourites": _plain(
        "POST /api/v1/resident/favourites", json={"kind": "address", "ref": "1 rue X", "label": "Chez moi"}
    ),
    "DELETE /api/v1/resident/favourites": _plain(
        "DELETE /api/v1/resident/favourites", params={"kind": "address", "ref": "1 rue X"}
    ),
    "POST /api/v1/lab/query": _plain("POST /api/v1/lab/query", json={"sql": "SELECT 42 AS answer"}),
    "POST /api/v1/lab/queries": _plain(
        "POST /api/v1/lab/queries", json={"title": "La réponse", "sql": "SELECT 42 AS answer"}
    ),
    "POST /effacement": lambda w, c: Call(
        "POST", "/effacement", {"data": {"email": f"efface{next(w.seq)}@example.org"}}
    ),
    "POST /api/v1/reports": lambda w, c: Call("POST", "/api/v1/reports", {"json": report_body()}),
    "POST /api/v1/reports/{report_id}/follow": lambda w, c: Call(
        "POST",
        f"/api/v1/reports/{w.report_id}/follow",
        {"json": {"email": f"voisin{next(w.seq)}@example.org"}},
    ),
    "GET /api/v1/map/layers/addresses.geojson": _plain(
        "GET /api/v1/map/layers/addresses.geojson", params={"bbox": "5.03,47.31,5.05,47.33"}
    ),
    "GET /api/v1/map": _plain("GET /api/v1/map", params={"bbox": "4.9,47.2,5.2,47.45", "zoom": 12}),
    "GET /api/v1/pilotage/queue/map": _plain(
        "GET /api/v1/pilotage/queue/map", params={"bbox": "4.9,47.2,5.2,47.45", "zoom": 12}
    ),
    "POST /api/v1/pilotage/queue/bulk": lambda w, c: Call(
        "POST",
        "/api/v1/pilotage/queue/bulk",
        {"json": {"action": "acknowledge", "ids": [str(w.new_report())]}},
    ),
    "GET /api/v1/addresses/search": _plain("GET /api/v1/addresses/search", params={"q": "rue de la Liberté"}),
    "GET /api/v1/addresses/reverse": _plain(
        "GET /api/v1/addresses/reverse", params={"lat": DIJON["lat"], "lon": DIJON["long"]}
    ),
    "POST /api/v1/reports/{report_id}/acknowledge": _on_new_report(
        "POST /api/v1/reports/{report_id}/acknowledge"
    ),
    "POST /api/v1/reports/{report_id}/assign": _on_new_report(
        "POST /api/v1/reports/{report_id}/assign", json=lambda w: {"user_id": w.agents["operator"].id}
    ),
    "POST /api/v1/reports/{report_id}/status": _on_new_report(
        "POST /api/v1/reports/{report_id}/status", json={"status": "in_progress"}
    ),
    "POST /api/v1/reports/{report_id}/requalify": _on_new_report(
        "POST /api/v1/reports/{report_id}/requalify",
        json=lambda w: {
            "service_code": next(
                c
                for c in w.v.catalogue.services
                if c != "nid-de-poule"
                and w.v.catalogue.services[c].public
                and not any(a.required for a in w.v.catalogue.services[c].attributes)
            )
        },
    ),
    "POST /api/v1/reports/{report_id}/move": _on_new_report(
        "POST /api/v1/reports/{report_id}/move", json={"lat": 47.3230, "long": 5.0420}
    ),
    "POST /api/v1/reports/{report_id}/merge": _on_new_report(
        "POST /api/v1/reports/{report_id}/merge", json=lambda w: {"keep_id": w.new_report()}
    ),
    "POST /api/v1/reports/{report_id}/moderation": _on_new_report(
        "POST /api/v1/reports/{report_id}/moderation", json={"checked": True, "public_description": "Trou"}
    ),
    "POST /api/v1/reports/{report_id}/photos/{key}/moderation": _on_new_photo,
    "POST /api/v1/pilotage/reports/{report_id}/resolution": _resolution,
    "POST /api/v1/pilotage/reports/{report_id}/handback": _on_new_report(
        "POST /api/v1/pilotage/reports/{report_id}/handback", json={"reason": "cannot_locate"}
    ),
    "POST /api/v1/auth/token": lambda w, c: Call(
        "POST", "/api/v1/auth/token", {"data": {"username": w.agents["operator"].email, "password": PASSWORD}}
    ),
    "POST /api/v1/auth/logout": _plain("POST /api/v1/auth/logout"),
    "POST /api/v1/auth/password": _plain(
        "POST /api/v1/auth/password", json={"current_password": PASSWORD, "new_password": PASSWORD}
    ),
    "PATCH /api/v1/users/{user_id}": _plain("PATCH /api/v1/users/{user_id}", json={"active": False}),
    "POST /api/v1/users/{user_id}/password": _plain(
        "POST /api/v1/users/{user_id}/password", json={"new_password": "a-new-long-password"}
    ),
    "POST /api/v1/auth/login": lambda w, c: Call(
        "POST", "/api/v1/auth/login", {"json": {"email": w.agents["operator"].email, "password": PASSWORD}}
    ),
    "POST /api/v1/assets": _new_asset,
    "POST /api/v1/assets/{asset_id}/status": _plain(
        "POST /api/v1/assets/{asset_id}/status", json={"status": "maintenance", "note": "visite"}
    ),
    "POST /api/v1/videoprotection/sites": lambda w, c: Call(
        "POST", "/api/v1/videoprotection/sites", {"json": site_body(f"SITE-{next(w.seq)}")}
    ),
    "PUT /api/v1/videoprotection/sites/{site_id}": lambda w, c: Call(
        "PUT", f"/api/v1/videoprotection/sites/{w.site_id}", {"json": site_body("DIJ-VP-TEST")}
    ),
    "GET /api/v1/videoprotection/cameras/{asset_id}": lambda w, c: Call(
        "GET", f"/api/v1/videoprotection/cameras/{w.camera_id}"
    ),
    "GET /pilotage/videoprotection/cameras/{asset_id}": lambda w, c: Call(
        "GET", f"/pilotage/videoprotection/cameras/{w.camera_id}"
    ),
    "PUT /api/v1/videoprotection/cameras/{asset_id}": lambda w, c: Call(
        "PUT",
        f"/api/v1/videoprotection/cameras/{w.camera_id}",
        {"json": {"site_id": w.site_id, "signage": True}},
    ),
    "POST /api/v1/videoprotection/register": lambda w, c: Call(
        "POST", "/api/v1/videoprotection/register", {"json": extraction(w.camera_id, as_json=True)}
    ),
    "POST /api/v1/oplog": _plain("POST /api/v1/oplog", json={"service": "control", "text": "Ronde faite"}),
    "POST /api/v1/oplog/{entry_id}/corrections": _plain(
        "POST /api/v1/oplog/{entry_id}/corrections", json={"text": "Ronde faite à 14 h, pas 13 h"}
    ),
    "POST /api/v1/assets/{asset_id}/lamps": lambda w, c: Call(
        "POST",
        f"/api/v1/assets/{w.asset_id}/lamps",
        {
            "json": {
                "changed_on": f"{2000 + next(w.seq) % 20}-0{1 + next(w.seq) % 9}-1{next(w.seq) % 10}",
                "lampTechnology": "LED",
                "powerRating": 30,
            }
        },
    ),
    "PUT /api/v1/lighting/switch-off/{zone}": _plain(
        "PUT /api/v1/lighting/switch-off/{zone}", json={"off_start": "00:30", "off_end": "05:00"}
    ),
    "POST /api/v1/alarms/{alarm_id}/acknowledge": _on_new_alarm("POST /api/v1/alarms/{alarm_id}/acknowledge"),
    "POST /api/v1/alarms/{alarm_id}/assign": _on_new_alarm("POST /api/v1/alarms/{alarm_id}/assign", json={}),
    "POST /api/v1/alarms/{alarm_id}/comment": _on_new_alarm(
        "POST /api/v1/alarms/{alarm_id}/comment", json={"note": "vu"}
    ),
    "POST /api/v1/alarms/{alarm_id}/clear": _on_new_alarm("POST /api/v1/alarms/{alarm_id}/clear", json={}),
    "POST /api/v1/lighting/schedules": _plain(
        "POST /api/v1/lighting/schedules", json={"name": "Essai", "group": "G-001"}
    ),
    "PATCH /api/v1/lighting/schedules/{schedule_id}": _plain(
        "PATCH /api/v1/lighting/schedules/{schedule_id}", json={"dim_level": 0.5}
    ),
    "POST /api/v1/lighting/schedule-changes": _plain(
        "POST /api/v1/lighting/schedule-changes",
        json={
            "group": "*",
            "effective_on": "2019-10-01",
            "before": {"dim_level": 1},
            "after": {"dim_level": 0.7},
        },
    ),
    "GET /api/v1/traffic/detectors/{asset_id}/flow": lambda w, c: Call(
        "GET", f"/api/v1/traffic/detectors/{w.detector_id}/flow"
    ),
    "POST /api/v1/traffic/events": _plain("POST /api/v1/traffic/events", json=ROAD_EVENT),
    "PUT /api/v1/traffic/events/{event_id}": lambda w, c: Call(
        "PUT", f"/api/v1/traffic/events/{w.new_road_event()}", {"json": ROAD_EVENT}
    ),
    "POST /api/v1/traffic/events/{event_id}/end": lambda w, c: Call(
        "POST", f"/api/v1/traffic/events/{w.new_road_event()}/end"
    ),
    "POST /api/v1/winter/level": _plain("POST /api/v1/winter/level", json={"level": "alerte"}),
    "PUT /api/v1/winter/assignments": lambda w, c: Call(
        "PUT",
        "/api/v1/winter/assignments",
        {"json": {"items": [{"circuit_id": w.circuit_id, "vehicle_id": None}]}},
    ),
    "POST /api/v1/winter/proposals/{proposal_id}/decision": lambda w, c: Call(
        "POST", f"/api/v1/winter/proposals/{w.new_proposal()}/decision", {"json": {"accept": False}}
    ),
    "POST /api/v1/winter/circuits": lambda w, c: Call(
        "POST", "/api/v1/winter/circuits", {"json": {**CIRCUIT, "code": f"C-{next(w.seq)}"}}
    ),
    "POST /api/v1/winter/circuits/{circuit_id}/vehicle": lambda w, c: Call(
        "POST", f"/api/v1/winter/circuits/{w.circuit_id}/vehicle", {"json": {"vehicle_id": "VEH-001"}}
    ),
    "POST /api/v1/winter/conditions": _plain(
        "POST /api/v1/winter/conditions", json={"tier": "P1", "condition": "C2"}
    ),
    "POST /api/v1/winter/salt": _plain("POST /api/v1/winter/salt", json={"kind": "delivery", "tonnes": 25}),
    "POST /api/v1/commands": _plain(
        "POST /api/v1/commands", json={"asset_ids": ["SL-00001"], "action": "switch", "powerState": "off"}
    ),
}


def _call_for(route: str, w: World, caller: str) -> Call:
    fill = CALLS.get(route)
    if fill is not None:
        return fill(w, caller)
    return Call(route.split(" ", 1)[0], _path(route, w, caller))  # no body, no query


def _answer(r: httpx.Response) -> int | str:
    if r.status_code == 303:
        where = r.headers["location"]
        if where.startswith("/connexion"):
            return SIGN_IN
        if where.startswith("/terrain"):
            return TERRAIN
        if where.startswith("/pilotage/videoprotection"):
            return VIDEO
        if where == "/compte":
            return ACCOUNT_SIGN_IN
    return r.status_code


def _send(http: httpx.Client, w: World, route: str, caller: str) -> int | str:
    """One request as ``caller``; its answer."""
    headers = {"origin": str(http.base_url).rstrip("/")}
    cookies: dict[str, str] = {}
    call = _call_for(route, w, caller)
    call.kwargs = dict(call.kwargs)  # a route's Call may be shared: never change it
    params = dict(call.kwargs.pop("params", {}))
    if caller == "api_key":
        params["api_key"] = w.api_key
    if caller in AGENTS:
        # A browser session, the one credential both the API and the pages take.
        token, csrf = do_create_login(w.v.db, w.agents[caller], "session", 1)
        cookies[SESSION_COOKIE] = token
        headers[CSRF_HEADER] = csrf
        if route == "POST /deconnexion":
            call.kwargs["data"] = {"csrf_token": csrf}
    if caller == "resident":
        cookies[RESIDENT_COOKIE], headers[CSRF_HEADER] = _resident_session(w)
    if route == "POST /connexion":
        http.cookies.clear()
        form = http.get("/connexion")
        sent = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert sent, "the sign-in form carries a CSRF token"
        cookies.update(form.cookies)
        call.kwargs["data"] = {
            "email": w.agents["operator"].email,
            "password": PASSWORD,
            "next": "/pilotage",
            "csrf_token": sent.group(1),
        }
    http.cookies.clear()
    http.cookies.update(cookies)
    if call.url.startswith("/api/v1/events/"):  # a live stream: its status is enough
        with http.stream(call.method, call.url, params=params, headers=headers) as r:
            return r.status_code
    return _answer(http.request(call.method, call.url, params=params, headers=headers, **call.kwargs))


@pytest.mark.slow  # about 700 requests through a real server
# Bounded work (every route once per caller, 30 s a request at most) that takes 1-4 min
# depending on the machine's load: the suite's 300 s default fired on a loaded CI machine.
@pytest.mark.timeout(900)
def test_web_access_every_route_answers_as_declared(vigie: Vigie, world: World) -> None:
    got: dict[str, list[int | str]] = {}
    with (
        LiveServer(vigie) as live,
        httpx.Client(base_url=live.url, timeout=30, follow_redirects=False) as http,
    ):
        for route in app_routes(create_app(vigie=vigie)):
            if route not in ROUTES:
                continue  # test_web_access_every_route_is_in_the_table names it
            got[route] = [_send(http, world, route, caller) for caller in CALLERS]
    wrong = [
        f"{route}:\n    declared {list(ROUTES[route].answers)}\n    answered {answers}"
        for route, answers in got.items()
        if tuple(answers) != ROUTES[route].answers
    ]
    header = "callers: " + ", ".join(CALLERS)
    assert not wrong, f"{header}\n" + "\n".join(wrong)


def test_web_access_callers_are_every_role() -> None:
    """A new role must get a column: the table would silently ignore it."""
    assert set(AGENTS.values()) == set(Role)
