"""Pydantic models of the native API's request bodies."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReportIn(_Body):
    service_code: str = Field(
        ..., max_length=64, description="Service (category) code from /api/v1/services."
    )
    description: str = Field("", max_length=4000)
    lat: float | None = Field(None, ge=-90, le=90)
    long: float | None = Field(None, ge=-180, le=180)
    address: str = Field("", max_length=512)
    address_id: str = Field(
        "", max_length=128, description="Id of an answer of /api/v1/addresses (places the report there)."
    )
    attributes: dict[str, str | float | int | bool | list[str] | None] = Field(default_factory=dict)
    reporter_name: str = Field("", max_length=200)
    reporter_email: str = Field("", max_length=320)
    reporter_phone: str = Field("", max_length=40)
    lang: str = Field("", max_length=8)
    device_id: str = Field("", max_length=128)
    channel: str = Field(
        "app", description="app or web; agents with reports.intake may also use phone or email."
    )


class StatusIn(_Body):
    status: str = Field(..., description="Target status, e.g. in_progress, resolved, rejected, reopened.")
    public_note: str = Field("", max_length=4000)
    internal_note: str = Field("", max_length=4000)
    reason: str = Field("", max_length=4000, description="Required when rejecting.")


class ModerationIn(_Body):
    checked: bool = Field(
        True, description="The report's text may show (under a policy that waits for a check)."
    )
    public_description: str | None = Field(
        None,
        max_length=4000,
        description="The text the public reads instead of the resident's; null: the resident's "
        "text again; left out: unchanged.",
    )


class PhotoModerationIn(_Body):
    state: str = Field(..., description="shown, hidden or blurred (for the public; agents see the photo).")


class NoteIn(_Body):
    public_note: str = Field("", max_length=4000)


class AssignIn(_Body):
    team: str | None = Field(None, max_length=64)
    user_id: int | None = Field(None, ge=1, le=2**31 - 1)
    public_note: str = Field("", max_length=4000)
    internal_note: str = Field("", max_length=4000)


class RequalifyIn(_Body):
    service_code: str = Field(..., max_length=64)
    internal_note: str = Field("", max_length=4000)


class MoveIn(_Body):
    lat: float = Field(..., ge=-90, le=90)
    long: float = Field(..., ge=-180, le=180)
    address: str | None = Field(None, max_length=512)


class MergeIn(_Body):
    keep_id: int = Field(..., ge=1, le=2**31 - 1, description="The report that is kept.")
    public_note: str = Field("", max_length=4000)


class FollowIn(_Body):
    email: str = Field("", max_length=320)
    lang: str = Field("", max_length=8)


def openapi_submit_body() -> dict[str, Any]:
    # Written out rather than a $ref: the route reads its body by hand, so FastAPI puts no
    # ReportIn among the components: a $ref to it would name nothing.
    schema = ReportIn.model_json_schema(ref_template="#/components/schemas/{model}")
    multipart = {
        "type": "object",
        "required": ["service_code"],
        "properties": {
            "service_code": {"type": "string"},
            "description": {"type": "string"},
            "lat": {"type": "number"},
            "long": {"type": "number"},
            "address": {"type": "string"},
            "address_id": {"type": "string"},
            "attributes": {"type": "string", "description": "JSON object of attribute values"},
            "reporter_name": {"type": "string"},
            "reporter_email": {"type": "string"},
            "reporter_phone": {"type": "string"},
            "lang": {"type": "string"},
            "device_id": {"type": "string"},
            "channel": {"type": "string"},
            "photos": {"type": "array", "items": {"type": "string", "format": "binary"}},
        },
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema},
                "multipart/form-data": {"schema": multipart},
            },
        }
    }
