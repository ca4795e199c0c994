"""Native API of video protection: /api/v1/videoprotection (its roles only) and the public list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from vigie.accounts.permissions import require
from vigie.runtime import Vigie
from vigie.videoprotection import actions, public, register
from vigie.videoprotection.domain import ExtractionDraft, SiteDraft
from vigie.web.deps import (
    DbId,
    current_agent,
    declared_query_only,
    get_vigie,
    module_in_use,
    needs_permission,
)
from vigie.web.i18n import request_language
from vigie.web.templating import render

router = APIRouter(
    prefix="/api/v1/videoprotection",
    tags=["video protection"],
    dependencies=[Depends(declared_query_only), Depends(module_in_use("videoprotection"))],
)
pages = APIRouter(tags=["video protection"], dependencies=[Depends(module_in_use("videoprotection"))])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiteIn(_Body):
    code: str = Field(..., min_length=1, max_length=64)
    name: str = Field(..., min_length=1, max_length=200)
    zone: str = Field("", max_length=32, description="Commune code")
    address: str = Field("", max_length=300)
    lat: float | None = Field(None, ge=-90, le=90)
    long: float | None = Field(None, ge=-180, le=180)
    in_service_on: date | None = None
    authorisation_number: str = Field("", max_length=64)
    authorisation_date: date | None = None
    authorisation_expiry: date | None = Field(None, description="Default: five years after the date")
    purposes: list[str] = Field(default_factory=list, max_length=20, description="Art. L251-2 purposes")
    retention_days: int | None = Field(None, ge=1, le=366)
    responsible_name: str = Field("", max_length=200)
    responsible_service: str = Field("", max_length=200)
    access_contact: str = Field("", max_length=300)
    commission_opinion: str = Field("", max_length=32)
    commission_date: date | None = None


class CameraIn(_Body):
    site_id: int | None = Field(None, ge=1, le=2**31 - 1)
    overlooks_private: bool = False
    privacy_masks: bool = False
    signage: bool = False


class ExtractionIn(_Body):
    requisition_kind: str = Field(..., max_length=16, description="judicial or administrative")
    requisition_reference: str = Field(..., min_length=1, max_length=120)
    requisition_date: date
    requester: str = Field(..., min_length=1, max_length=200)
    cameras: list[str] = Field(..., min_length=1, max_length=200)
    span_start: datetime
    span_end: datetime
    medium: str = Field(..., max_length=32)
    medium_reference: str = Field("", max_length=120)
    destruction_due: date | None = None
    note: str = Field("", max_length=2000)


# --- sites, cameras, compliance ---------------------------------------------------------------


@router.get("/sites", summary="Camera systems (sites), their authorisation state and camera counts")
def sites(
    request: Request,
    q: str = Query("", max_length=200),
    state: str = Query("", pattern="^(|authorised|expiring|expired|unauthorised)$"),
    v: Vigie = Depends(get_vigie),
) -> dict[str, Any]:
    return {"items": actions.list_sites(v, current_agent(request), q, state)}


@router.post(
    "/sites",
    status_code=201,
    summary="Record a camera system and its authorisation",
    dependencies=[Depends(needs_permission("video.manage"))],
)
def create_site(body: SiteIn, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return actions.do_save_site(v, current_agent(request), SiteDraft(**body.model_dump()))


@router.get("/sites/{site_id}", summary="One site with its cameras (the consultation is audited)")
def site(site_id: DbId, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return actions.get_site(v, current_agent(request), site_id)


@router.put(
    "/sites/{site_id}",
    summary="Change a site (authorisation renewed…)",
    dependencies=[Depends(needs_permission("video.manage"))],
)
def update_site(
    site_id: DbId, body: SiteIn, request: Request, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    return actions.do_save_site(v, current_agent(request), SiteDraft(**body.model_dump()), site_id)


@router.get("/cameras", summary="Cameras with their positions and site (video-protection roles)")
def cameras(
    request: Request, site_id: int | None = Query(None, ge=1, le=2**31 - 1), v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    return {"items": actions.list_cameras(v, current_agent(request), site_id)}


@router.get("/cameras/{asset_id}", summary="One camera (the consultation is audited)")
def camera(asset_id: str, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return actions.get_camera(v, current_agent(request), asset_id)


@router.put(
    "/cameras/{asset_id}",
    summary="A camera's site, privacy masks and signage",
    dependencies=[Depends(needs_permission("video.manage"))],
)
def set_camera(
    asset_id: str, body: CameraIn, request: Request, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    return actions.do_set_camera(
        v,
        current_agent(request),
        asset_id,
        body.site_id,
        overlooks_private=body.overlooks_private,
        privacy_masks=body.privacy_masks,
        signage=body.signage,
    )


@router.get("/alerts", summary="Compliance alerts (open ones; closed=true adds the closed)")
def alerts(request: Request, closed: bool = Query(False), v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return {"items": actions.list_alerts(v, current_agent(request), closed)}


@router.post("/alerts/check", summary="Check compliance now (also run by the alarm timer)")
def check(request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, int]:
    require(current_agent(request), "video.manage")
    return actions.do_check_compliance(v)


# --- the register of extractions ----------------------------------------------------------------


@router.get("/register", summary="The register of image extractions (the consultation is audited)")
def register_list(
    request: Request, q: str = Query("", max_length=200), v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    return {"items": register.list_register(v, current_agent(request), q)}


@router.post(
    "/register",
    status_code=201,
    summary="Register an extraction of images",
    dependencies=[Depends(needs_permission("video.extractions"))],
)
def register_new(body: ExtractionIn, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return register.do_register_extraction(v, current_agent(request), ExtractionDraft(**body.model_dump()))


@router.get("/register/{extraction_id}", summary="One extraction (the consultation is audited)")
def register_one(extraction_id: DbId, request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return register.get_extraction(v, current_agent(request), extraction_id)


@router.post("/register/{extraction_id}/destruction", summary="The extracted copy was destroyed")
def register_destroyed(
    extraction_id: DbId, request: Request, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    return register.do_record_destruction(v, current_agent(request), extraction_id)


@router.get("/consultations", summary="Who consulted cameras, sites and the register, when")
def consultations(request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return {"items": actions.list_consultations(v, current_agent(request))}


# --- public ---------------------------------------------------------------------------------------


@router.get("/public.json", summary="Open data: the authorised systems (published fields and why)")
def public_json(request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return public.dataset(v, request_language(request))


@router.get("/public.csv", summary="Open data: the authorised systems as CSV", response_class=Response)
def public_csv(v: Vigie = Depends(get_vigie)) -> Response:
    return Response(
        public.dataset_csv(v),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="videoprotection-systemes-autorises.csv"'},
    )


@pages.get("/videoprotection", response_class=HTMLResponse, summary="The authorised systems (public page)")
def public_page(request: Request, v: Vigie = Depends(get_vigie)) -> Response:
    lang = request_language(request)
    data = public.dataset(v, lang)
    return render(
        request,
        "videoprotection/public.html",
        sites=data["items"],
        fields=data["fields"],
        withheld=data["withheld"],
        purposes=data["purposes"],
    )
