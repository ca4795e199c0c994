"""A start-up that fails under ``vigie serve`` (or uvicorn's factory): one message, and the end.

Left to uvicorn, an exception of the app's factory or lifespan start-up printed a traceback
wall, then the process hung: the half-built platform's threads kept it alive, and with several
workers a worker whose factory raised was started again and again. Here the exception becomes
one paragraph (for Vigie's own errors: the problem and the file, line or setting at fault; for
anything else: the exception, then its traceback, which is the only clue), written once, and
the process ends with uvicorn's start-up failure status, on which its multi-worker supervisor
(and gunicorn's) stops every worker instead of starting another.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import NoReturn

from vigie.errors import ConfigurationError, VigieError

# uvicorn.config.STARTUP_FAILURE: a worker that exits with it stops the supervisor.
STARTUP_FAILURE = 3

# Set by `vigie serve` when it runs several workers: where the first failing worker writes its
# message, which `vigie serve` prints once (each worker would print its own copy).
REPORT_FILE = "VIGIE_SERVE_STARTUP_REPORT"


def start_up_message(exc: BaseException) -> str:
    """What went wrong, for the person starting Vigie: no traceback for Vigie's own errors
    (their message names the file and line, or the setting)."""
    if isinstance(exc, ConfigurationError):
        return "\n".join([f"Vigie could not start: {exc.summary()}:", *(str(p) for p in exc.problems)])
    if isinstance(exc, VigieError):
        field = f" ({exc.field})" if exc.field else ""
        return f"Vigie could not start{field}: {exc.message}"
    trace = "".join(traceback.format_exception(exc)).rstrip()
    return f"Vigie could not start: {type(exc).__name__}: {exc}\n{trace}"


def start_up_failed(exc: BaseException) -> NoReturn:
    """Report ``exc`` and end the process at once (``os._exit``: a thread or a child process
    left by the failed start-up must not keep it alive)."""
    message = start_up_message(exc)
    report = os.environ.get(REPORT_FILE)
    written = False
    if report:
        try:
            with Path(report).open("x", encoding="utf-8") as f:  # the first worker's only
                f.write(message)
            written = True
        except FileExistsError:
            written = True
        except OSError:
            pass  # printed below instead
    if not written:
        sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()
    sys.stdout.flush()
    os._exit(STARTUP_FAILURE)


def reported_failure(report: Path) -> str | None:
    """The message a worker of ``vigie serve`` left, if one failed to start."""
    try:
        return report.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


__all__ = ["REPORT_FILE", "STARTUP_FAILURE", "reported_failure", "start_up_failed", "start_up_message"]
