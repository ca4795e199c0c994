"""How Vigie's processes log: plain text at a terminal, or one JSON object per line.

Every line made while a request is served carries that request's id (the
``X-Request-ID`` it came with, when well-formed, or a new one), so the lines of
one request can be found across workers and nodes. Messages are written without
personal data in the first place; :func:`mask_personal_data` is the safety net
for what slips through (an address quoted in an exception, say).
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

from vigie.personaldata import mask_personal_data

__all__ = ["REQUEST_ID", "JsonFormatter", "configure_logging", "mask_personal_data"]

REQUEST_ID: ContextVar[str] = ContextVar("vigie_request_id", default="")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class _MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_data(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the fields a log pipeline indexes, then the record's extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "")
        if request_id:
            entry["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = mask_personal_data(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str, fmt: str) -> None:
    """Set up the root logger once per process (the web app, the CLI, each worker)."""
    handler = logging.StreamHandler()
    handler.addFilter(_RequestIdFilter())
    handler.addFilter(_MaskingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # HTTP clients log every URL they call at INFO, query included: a geocoder's query is
    # what a resident typed. Their warnings and errors still come through.
    for name in ("httpx", "httpcore", "urllib3", "botocore", "boto3"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    # uvicorn's own loggers go through the same handler (and format); its access lines
    # never: they hold the client's address and the raw path (Vigie's own access line
    # replaces them in JSON mode, see vigie.app.observability).
    for name in ("uvicorn", "uvicorn.error"):
        lg = logging.getLogger(name)
        lg.handlers = []
        lg.propagate = True
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers = []
    uvicorn_access.propagate = False
