"""RFC 9457 problem details for the native API."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from vigie.errors import VigieError

PROBLEM_TYPE = "https://vigie.city/problems/"


def problem(
    status: int, title: str, detail: str, code: str, field: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if field:
        body["field"] = field
        body["errors"] = [{"field": field, "detail": detail}]
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def vigie_error_response(exc: VigieError) -> JSONResponse:
    return problem(exc.status, exc.title, exc.message, exc.code, exc.field)


def validation_error_response(exc: RequestValidationError) -> JSONResponse:
    errors = []
    for err in exc.errors():
        loc = [
            str(p)
            for p in err.get("loc", ())
            if p not in ("body", "query", "path", "header", "form")
        ]
        errors.append({"field": ".".join(loc) or "(request)", "detail": err.get("msg", "invalid")})
    first = errors[0] if errors else {"field": "(request)", "detail": "invalid request"}
    return JSONResponse(
        {
            "type": PROBLEM_TYPE + "validation_failed",
            "title": "Invalid input",
            "status": 422,
            "detail": f"{first['field']}: {first['detail']}",
            "field": first["field"],
            "errors": errors,
        },
        status_code=422,
        media_type="application/problem+json",
    )


def http_error_response(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    titles = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
    return problem(
        exc.status_code,
        titles.get(exc.status_code, "Error"),
        str(exc.detail),
        "http_" + str(exc.status_code),
    )
