"""Open data on the web: the public portal (/donnees) and the agents' API (/api/v1/opendata).

Thin: pages read ``views``/``queries``, the API calls the use cases of
``actions`` and ``review`` (which check permissions and inputs).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from vigie.accounts.actions import agent_for_token
from vigie.accounts.permissions import require
from vigie.db import utcnow
from vigie.errors import NotFound, ValidationFailed
from vigie.maps.pages import map_config
from vigie.opendata import views
from vigie.opendata.actions import do_create_dataset, do_release, do_upload
from vigie.opendata.domain import FREQUENCIES, LICENCES, THEMES
from vigie.opendata.quality import quality
from vigie.opendata.queries import (
    all_datasets,
    published_dataset,
    release_of,
    release_store,
    releases,
)
from vigie.opendata.reasons import reason_texts, reasons_json
from vigie.opendata.review import (
    do_add_member,
    do_comment,
    do_decide,
    do_propose_rules,
    do_remove_member,
    do_vote,
    is_member,
    proposals,
)
from vigie.runtime import Vigie
from vigie.web.deps import SESSION_COOKIE, current_agent, declared_query_only, json_object, needs_permission
from vigie.web.i18n import request_language
from vigie.web.templating import render

router = APIRouter(tags=["opendata"])
MAX_JSON = 1024 * 1024


def _lang(request: Request) -> str:
    return request_language(request, _vigie(request).city.default_language)


def _vigie(request: Request) -> Vigie:
    return request.app.state.vigie  # type: ignore[no-any-return]


def _not_found_page(request: Request) -> HTMLResponse:
    return render(request, "opendata/not_found.html", status_code=404, nav="opendata")


# -- public portal ---------------------------------------------------------------------------


@router.get("/donnees", response_class=HTMLResponse, summary="Open data portal")
def portal(
    request: Request, q: str = "", theme: str = "", keyword: str = "", licence: str = "", commune: str = ""
) -> Response:
    v = _vigie(request)
    if theme and theme not in THEMES:
        raise ValidationFailed(
            f"theme: unknown theme {theme[:40]!r} (one of {', '.join(THEMES)})", field="theme"
        )
    if licence and licence not in LICENCES:
        raise ValidationFailed(
            f"licence: unknown licence {licence[:40]!r} (one of {', '.join(LICENCES)})", field="licence"
        )
    found = views.catalogue(v, q[:200], theme[:16], keyword[:100], licence[:16])
    return render(
        request,
        "opendata/portal.html",
        nav="opendata",
        q=q[:200],
        chosen={"theme": theme, "keyword": keyword, "licence": licence},
        kpis=views.public_kpis(v, commune[:20], request_language(request, v.city.default_language)),
        **found,
    )


@router.get("/donnees/comite", response_class=HTMLResponse, summary="The data ethics committee's record")
def committee_page(request: Request) -> Response:
    """Public; a signed-in member of the committee also gets the forms to comment, vote, decide."""
    v = _vigie(request)
    titles = {d.id: d.metadata for d in all_datasets(v)}
    token = request.cookies.get(SESSION_COOKIE)
    found = agent_for_token(v.db, token, "session") if token else None
    member = found is not None and found[0].can("opendata.review") and is_member(v, found[0])
    return render(
        request,
        "opendata/committee.html",
        nav="opendata",
        proposals=proposals(v, with_voters=member),
        titles=titles,
        member=member,
        csrf_token=found[1] if member and found else "",
    )


@router.get("/donnees/{dataset_id}", response_class=HTMLResponse, summary="A published dataset")
def dataset_page(request: Request, dataset_id: str) -> Response:
    v = _vigie(request)
    try:
        published = published_dataset(v, dataset_id)
    except NotFound:
        return _not_found_page(request)
    history = releases(v, dataset_id)
    points = views.map_points(v, published)
    return render(
        request,
        "opendata/dataset.html",
        nav="opendata",
        p=published,
        d=published.dataset,
        m=published.dataset.metadata,
        licence=LICENCES[published.dataset.metadata.licence],
        themes=THEMES,
        frequency_days=FREQUENCIES.get(published.dataset.metadata.frequency),
        quality=quality(published.dataset, published.release.created_at, utcnow()),
        preview=views.preview(v, dataset_id),
        points=points,
        map_config=map_config(request) if points else None,
        chart=views.chart(v, published),
        history=history,
        # A blocked release's reasons in the page's language.
        blocked_reason=lambda r: "; ".join(reason_texts(r.reasons, r.reason, _lang(request))),
        proposals=proposals(v, dataset_id),
        base_url=v.settings.public_base_url.rstrip("/"),
    )


# HEAD too: download tools and HTTP readers ask a file's size first (curl -I, wget --spider,
# DuckDB's httpfs, which only falls back to a whole GET when HEAD is refused). A route of its
# own, out of the OpenAPI document: one route with both methods gave both operations one id.
@router.get(
    "/donnees/{dataset_id}/versions/{version}",
    summary="Download a published release (Parquet)",
    response_model=None,
)
@router.head("/donnees/{dataset_id}/versions/{version}", include_in_schema=False, response_model=None)
def download(request: Request, dataset_id: str, version: int) -> Response:
    v = _vigie(request)
    release = release_of(v, dataset_id, version)
    etag = f'"{release.sha256}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return FileResponse(
        release_store(v).local_path(release.file_key),
        media_type="application/vnd.apache.parquet",
        filename=f"{dataset_id}-v{version}.parquet",
        headers={"ETag": etag, "Cache-Control": "public, max-age=86400, immutable"},
    )


# -- agents' API -----------------------------------------------------------------------------


@router.get(
    "/api/v1/opendata/datasets",
    summary="Every dataset, published or not (publishers)",
    dependencies=[Depends(declared_query_only)],
)
def list_all(request: Request) -> dict[str, Any]:
    v = _vigie(request)
    require(current_agent(request), "opendata.publish")
    out = []
    for d in all_datasets(v):
        last = releases(v, d.id)[:1]
        out.append(
            {
                "id": d.id,
                "title": d.metadata.title_fr,
                "source": d.source,
                "status": d.status,
                "rules_version": d.rules_version,
                "rules": d.rules.to_json() if d.rules else None,
                "last_release": _release_json(last[0], _lang(request)) if last else None,
            }
        )
    return {"datasets": out}


@router.post(
    "/api/v1/opendata/datasets",
    status_code=201,
    summary="Create a dataset and propose its rules",
    dependencies=[Depends(declared_query_only), Depends(needs_permission("opendata.publish"))],
)
async def create(request: Request) -> dict[str, Any]:
    v = _vigie(request)
    agent = current_agent(request)
    payload = await json_object(request, MAX_JSON)
    d = do_create_dataset(v, agent, payload)
    # The proposal the committee reviews: the id its comments, votes and decision are posted to
    # (an API client had no other way to learn it than the committee's page).
    proposal = next(p.id for p in proposals(v, d.id) if p.status == "open")
    return {"id": d.id, "status": d.status, "proposal": proposal}


@router.post(
    "/api/v1/opendata/datasets/{dataset_id}/file",
    summary="Upload the dataset's file: the request body, ?format=csv or geojson",
    dependencies=[Depends(declared_query_only)],
)
async def upload(request: Request, dataset_id: str, format: str = "csv") -> dict[str, Any]:  # noqa: A002
    v = _vigie(request)
    agent = current_agent(request)
    require(agent, "opendata.publish")  # before reading a large body
    content = await request.body()
    rows = do_upload(v, agent, dataset_id, content, format)
    return {"id": dataset_id, "rows": rows}


@router.post(
    "/api/v1/opendata/datasets/{dataset_id}/releases",
    summary="Build a release now",
    dependencies=[Depends(declared_query_only)],
)
def release(request: Request, dataset_id: str) -> dict[str, Any]:
    v = _vigie(request)
    row = do_release(v, current_agent(request), dataset_id)
    return _release_json(row, _lang(request))


@router.post(
    "/api/v1/opendata/datasets/{dataset_id}/proposals",
    status_code=201,
    summary="Propose new rules for a dataset (reviewed by the committee)",
    dependencies=[Depends(declared_query_only)],
)
async def propose(request: Request, dataset_id: str) -> dict[str, Any]:
    v = _vigie(request)
    agent = current_agent(request)
    require(agent, "opendata.publish")
    body = await json_object(request, MAX_JSON)
    pid = do_propose_rules(v, agent, dataset_id, body.get("rules"), str(body.get("summary") or ""))
    return {"id": pid}


@router.post(
    "/api/v1/opendata/proposals/{proposal_id}/comments",
    status_code=201,
    summary="Comment",
    dependencies=[Depends(declared_query_only), Depends(needs_permission("opendata.review"))],
)
async def comment(request: Request, proposal_id: int) -> dict[str, Any]:
    v = _vigie(request)
    agent = current_agent(request)
    body = await json_object(request, MAX_JSON)
    do_comment(v, agent, proposal_id, body.get("body"))  # type: ignore[arg-type]
    return {"proposal": proposal_id}


@router.post(
    "/api/v1/opendata/proposals/{proposal_id}/votes",
    summary="Vote (approve, reject, abstain)",
    dependencies=[Depends(declared_query_only), Depends(needs_permission("opendata.review"))],
)
async def vote(request: Request, proposal_id: int) -> dict[str, Any]:
    v = _vigie(request)
    agent = current_agent(request)
    body = await json_object(request, MAX_JSON)
    do_vote(v, agent, proposal_id, str(body.get("vote") or ""))
    return {"proposal": proposal_id}


@router.post(
    "/api/v1/opendata/proposals/{proposal_id}/decision",
    summary="Record the committee's decision",
    dependencies=[Depends(declared_query_only), Depends(needs_permission("opendata.review"))],
)
async def decide(request: Request, proposal_id: int) -> dict[str, Any]:
    v = _vigie(request)
    agent = current_agent(request)
    body = await json_object(request, MAX_JSON)
    return {"proposal": proposal_id, "status": do_decide(v, agent, proposal_id, body.get("reasons"))}  # type: ignore[arg-type]


@router.put(
    "/api/v1/opendata/committee/{user_id}",
    summary="Seat an agent on the ethics committee",
    dependencies=[Depends(declared_query_only)],
)
def seat(request: Request, user_id: int) -> dict[str, Any]:
    do_add_member(_vigie(request), current_agent(request), user_id)
    return {"user_id": user_id, "member": True}


@router.delete(
    "/api/v1/opendata/committee/{user_id}",
    summary="Remove an agent from the committee",
    dependencies=[Depends(declared_query_only)],
)
def unseat(request: Request, user_id: int) -> dict[str, Any]:
    do_remove_member(_vigie(request), current_agent(request), user_id)
    return {"user_id": user_id, "member": False}


def _release_json(row: Any, lang: str) -> dict[str, Any]:
    return {
        "dataset": row.dataset_id,
        "version": row.version,
        "status": row.status,
        "reason": row.reason,
        "reasons": reasons_json(row.reasons, row.reason, lang),
        "rows": row.rows,
        "checks": row.checks,
        "note": row.note,
        "created_at": row.created_at.isoformat(),
    }
