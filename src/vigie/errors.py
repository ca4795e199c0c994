"""One exception hierarchy for the whole application.

Domain and service code raise these; each web boundary (native API with RFC
9457 problem JSON, Open311 with its own error list) translates them. The
message is meant for the person who sent the request.
"""

from __future__ import annotations


class VigieError(Exception):
    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        reason: str | None = None,
        params: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # A stable code naming the problem (``lab.syntax_error``) and the values its text names:
        # the API sends both, and the text in the request's language (``reason.<code>`` in locales).
        self.reason = reason
        self.params = params or {}


class ValidationFailed(VigieError):
    status = 422
    code = "validation_failed"
    title = "Invalid input"


class BadRequest(VigieError):
    status = 400
    code = "bad_request"
    title = "Bad request"


class Unauthorized(VigieError):
    status = 401
    code = "unauthorized"
    title = "Authentication required"


class Forbidden(VigieError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(VigieError):
    status = 404
    code = "not_found"
    title = "Not found"


class ModuleNotInUse(NotFound):
    """A page or API of an optional module the city does not use: its profile does not declare
    it (``modules``), or the setting that gives its data is empty (``declared_by``)."""

    code = "module_not_in_use"
    title = "Module not in use"

    def __init__(self, module: str, city: str, declared_by: str = "city.yaml: modules") -> None:
        super().__init__(f"{city} does not use the '{module}' module ({declared_by})")
        self.module = module


class NoDataPublished(NotFound):
    """A residents' page or API whose data the city does not publish: nothing imported
    (transport stops, places) or the setting that gives it is empty (waste rounds, library).

    ``source`` says where the data would come from, for the person setting the city up."""

    code = "no_data_published"
    title = "No data published"

    def __init__(self, section: str, city: str, source: str) -> None:
        super().__init__(f"{city} publishes no {section.replace('_', ' ')} data ({source})")
        self.section = section


class NotAcceptable(VigieError):
    """None of the formats the client accepts (``Accept``) is one the resource is served in."""

    status = 406
    code = "not_acceptable"
    title = "Not acceptable"


class Conflict(VigieError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PayloadTooLarge(VigieError):
    status = 413
    code = "payload_too_large"
    title = "Payload too large"


class UnsupportedMediaType(VigieError):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


class TooManyRequests(VigieError):
    status = 429
    code = "too_many_requests"
    title = "Too many requests"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        retry_after: int | None = None,
        reason: str | None = None,
        params: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, field=field, reason=reason, params=params)
        self.retry_after = retry_after  # seconds, sent as Retry-After


class ServiceUnavailable(VigieError):
    """A backing service (object store, broker…) cannot be reached: try again later."""

    status = 503
    code = "service_unavailable"
    title = "Service unavailable"


class ConfigurationError(Exception):
    """A configuration file (catalogue, city profile, mapping) is invalid.

    Carries the file, line and field at fault so the person editing it can fix it.
    """

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def summary(self) -> str:
        """The files at fault: "1 problem in city.yaml", "3 problems in catalogue.yaml and zones.geojson"."""
        files = list(dict.fromkeys(p.file for p in self.problems))
        count = len(self.problems)
        names = " and ".join(files) if len(files) <= 2 else ", ".join(files[:-1]) + " and " + files[-1]
        return f"{count} {'problem' if count == 1 else 'problems'} in {names}"


class ConfigProblem:
    def __init__(self, file: str, line: int | None, field: str, message: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.message = message

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"

    def __repr__(self) -> str:
        return f"ConfigProblem({self!s})"
