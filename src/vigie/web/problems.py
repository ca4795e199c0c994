"""RFC 9457 problem details for the native API."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from vigie.errors import ServiceUnavailable, ValidationFailed, VigieError
from vigie.web.i18n import reason_text

PROBLEM_TYPE = "https://vigie.city/problems/"


def problem(
    status: int, title: str, detail: str, kind: str, field: str | None = None, /, **extra: Any
) -> JSONResponse:
    # ``kind`` names the problem's type; ``extra`` may hold a ``code`` of its own (a reason's).
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + kind,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if field:
        body["field"] = field
        body["errors"] = [{"field": field, "detail": detail}]
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def vigie_error_response(exc: VigieError, lang: str = "en") -> JSONResponse:
    # An error may name more than its message (the data lab's limits: which one, its value).
    extra: dict[str, Any] = dict(getattr(exc, "extra", None) or {})
    if exc.reason:
        # ``detail`` stays the English text clients already read; ``code`` is stable, ``message``
        # the same in the request's language.
        extra.update(code=exc.reason, params=exc.params, message=reason_text(lang, exc.reason, exc.params))
    response = problem(exc.status, exc.title, exc.message, exc.code, exc.field, **extra)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def validation_error_response(exc: RequestValidationError) -> JSONResponse:
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header", "form")]
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


NUL_IN_TEXT = "the request contains a NUL character (U+0000), which text cannot hold"
_VARCHAR = re.compile(r"character varying\((\d+)\)")


def input_error_from_database(exc: Exception) -> ValidationFailed:
    """Bad input that only the database caught, named for what it is.

    ``exc`` is SQLAlchemy's ``DataError`` (PostgreSQL's class 22 errors, and
    psycopg refusing NUL in text) or the ``OverflowError`` of a driver given a
    number too large. Nothing of the value itself is repeated: it may be personal.
    """
    if isinstance(exc, OverflowError):
        return ValidationFailed("a number in the request is out of range")
    orig = getattr(exc, "orig", exc)
    state = getattr(orig, "sqlstate", None)
    text = str(orig)
    if "NUL (0x00)" in text or state == "22P05":  # 22P05: \u0000 in a JSON value
        return ValidationFailed(NUL_IN_TEXT)
    if state == "22001":
        size = _VARCHAR.search(text)
        limit = f" (at most {size.group(1)} characters)" if size else ""
        return ValidationFailed(f"a text in the request is too long for where it is stored{limit}")
    if state == "22003":
        return ValidationFailed("a number in the request is out of range")
    if state in ("22007", "22008"):
        return ValidationFailed("a date or time in the request is invalid or out of range")
    if state == "22021":
        return ValidationFailed("the request contains text that is not valid UTF-8")
    return ValidationFailed("a value in the request cannot be stored (wrong form or out of range)")


# PostgreSQL's refusals that say "not now" (SQLSTATE): lock not available, statement timeout,
# serialization failure, deadlock, too many connections, shutting down or starting up.
_BUSY_STATES = {"55P03", "57014", "40001", "40P01", "53300", "57P01", "57P02", "57P03"}
BUSY_RETRY_SECONDS = 5


def database_busy(exc: Exception) -> ServiceUnavailable | None:
    """A 503 to retry when the database could not serve in time, else None (a fault: a 500).

    ``exc`` is SQLAlchemy's ``OperationalError`` or its pool's ``TimeoutError``: SQLite's
    write lock held past the busy timeout by another writer, PostgreSQL's lock or statement
    timeouts, a connection that could not be had. The client did nothing wrong, and the
    server has no bug to report: the request may simply be sent again.
    """
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) or ""
    text = str(orig if orig is not None else exc).lower()
    if (
        orig is None  # the pool gave no connection in time
        or "database is locked" in text
        or "database table is locked" in text
        or state in _BUSY_STATES
        or state.startswith("08")  # connection exceptions
    ):
        err = ServiceUnavailable("the database is busy: send the request again in a few seconds")
        err.retry_after = BUSY_RETRY_SECONDS  # type: ignore[attr-defined]
        return err
    return None
