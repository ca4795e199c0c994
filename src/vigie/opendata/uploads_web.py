"""The staff's page for files a city uploads (/donnees/gestion/fichiers) and its API:
a file is sent (multipart), previewed, then published as a new dataset (to the ethics
committee) or as a new file of an uploaded dataset (a new release). Thin over
:mod:`vigie.opendata.staging`; the page's script sends the CSRF token like every staff form.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from vigie.accounts.permissions import require
from vigie.digits import is_digits
from vigie.errors import UnsupportedMediaType, ValidationFailed
from vigie.opendata.actions import MAX_UPLOAD_BYTES
from vigie.opendata.domain import (
    FREQUENCIES,
    LICENCES,
    LOCATION_METHODS,
    MIN_K,
    THEMES,
    TIME_PRECISIONS,
    ColumnKind,
)
from vigie.opendata.queries import all_datasets, releases
from vigie.opendata.reasons import reason_texts, reasons_json
from vigie.opendata.retention import unpublished_removal
from vigie.opendata.staging import do_publish_staged, do_stage_upload, staging_dir
from vigie.opendata.uploads import DELIMITERS, ENCODINGS, current_upload
from vigie.runtime import Vigie
from vigie.web.deps import current_agent, declared_query_only, json_object
from vigie.web.i18n import request_language
from vigie.web.pages import forbidden_page, page_agent
from vigie.web.templating import render

router = APIRouter(tags=["opendata: uploaded files"])
PAGE = "/donnees/gestion/fichiers"
API = "/api/v1/opendata/uploads"


def _vigie(request: Request) -> Vigie:
    return request.app.state.vigie  # type: ignore[no-any-return]


_FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "CSV or GeoJSON"},
                        "format": {"type": "string", "enum": ["auto", "csv", "geojson"]},
                        "encoding": {"type": "string", "enum": ["auto", *ENCODINGS]},
                        "delimiter": {"type": "string", "enum": ["auto", *DELIMITERS]},
                        "dataset": {
                            "type": "string",
                            "description": "a dataset to give a new file (else new)",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    API,
    summary="Send a CSV or GeoJSON file (multipart): read and previewed, not published",
    openapi_extra=_FILE_BODY,
    dependencies=[Depends(declared_query_only)],
)
async def stage(request: Request) -> dict[str, Any]:
    v = _vigie(request)
    agent = require(await run_in_threadpool(current_agent, request), "opendata.publish")
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "multipart/form-data":
        raise UnsupportedMediaType(
            "send the file as multipart/form-data (field file)", reason="upload.not_multipart"
        )
    length = request.headers.get("content-length", "")
    if is_digits(length) and int(length) > MAX_UPLOAD_BYTES + 64 * 1024:
        raise ValidationFailed(
            f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB",
            field="file",
            reason="upload.too_large",
            params={"max_mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
        )
    form = await request.form(max_files=1, max_fields=10)
    file = form.get("file")
    if file is None or isinstance(file, str):
        raise ValidationFailed("choose a file to upload", field="file", reason="upload.no_file")
    content = await file.read(MAX_UPLOAD_BYTES + 1)

    def text(name: str, default: str = "") -> str:
        value = form.get(name)
        return value if isinstance(value, str) and value else default

    staged = await run_in_threadpool(
        do_stage_upload,
        v,
        agent,
        content,
        file.filename or "",
        text("format", "auto"),
        text("encoding", "auto"),
        text("delimiter", "auto"),
        text("dataset"),
    )
    removal = unpublished_removal(v, staging_dir(v) / f"{staged.key}.{staged.fmt}")
    # Kept until then unless published (VIGIE_RETENTION_UNPUBLISHED_UPLOAD_DAYS; null: kept).
    return {**staged.preview(), "removed_after": removal.isoformat() if removal else None}


@router.post(
    API + "/{key}/publish",
    summary="Publish a previewed file: a new dataset, or a new release",
    dependencies=[Depends(declared_query_only)],
)
async def publish(request: Request, key: str) -> dict[str, Any]:
    v = _vigie(request)
    agent = await run_in_threadpool(current_agent, request)
    require(agent, "opendata.publish")
    payload = await json_object(request, 256 * 1024)
    out = await run_in_threadpool(do_publish_staged, v, agent, key, payload)
    release = out.get("release")
    if release is not None:  # a blocked release's reasons in the publisher's language
        lang = request_language(request, v.city.default_language)
        release["reasons"] = reasons_json(release["reasons"], release["reason"], lang)
        release["message"] = "; ".join(r["message"] for r in release["reasons"])
    return out


@router.get(PAGE, response_class=HTMLResponse, response_model=None, summary="Files a city uploads (staff)")
async def files_page(request: Request) -> Response:
    agent, csrf = await run_in_threadpool(page_agent, request)
    if not agent.can("opendata.publish"):
        return forbidden_page(request)
    v = _vigie(request)

    def datasets() -> list[dict[str, Any]]:
        out = []
        for d in all_datasets(v):
            if d.source != "upload":
                continue
            built = releases(v, d.id)
            last = built[0] if built else None
            published = max(
                (r.created_at for r in built if r.status in ("published", "expired")), default=None
            )
            upload = current_upload(v, d.id)
            out.append(
                {
                    "dataset": d,
                    "last": last,
                    "upload": upload is not None,
                    # When the current file goes if nothing is published from it by then.
                    "removal": unpublished_removal(v, upload, published) if upload else None,
                }
            )
        return out

    return render(
        request,
        "opendata/files.html",
        nav="opendata",
        csrf_token=csrf,
        datasets=await run_in_threadpool(datasets),
        encodings=ENCODINGS,
        delimiters=list(DELIMITERS),
        max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
        kinds=[k.value for k in ColumnKind],
        licences=list(LICENCES.values()),
        location_methods=LOCATION_METHODS,
        time_precisions=TIME_PRECISIONS,
        min_k=MIN_K,
        themes=THEMES,
        frequencies=list(FREQUENCIES),
        # The latest release's reasons when blocked, in the page's language.
        blocked_reason=lambda r: "; ".join(
            reason_texts(r.reasons, r.reason, request_language(request, v.city.default_language))
        ),
    )


__all__ = ["router"]
