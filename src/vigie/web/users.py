"""Agents' accounts for administrators (/api/v1/users): list them, disable or enable one,
reset a password. Disabling or resetting revokes every login of the account at once
(vigie.accounts.sessions)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from vigie.accounts.sessions import do_reset_password, do_set_active, list_users
from vigie.runtime import Vigie
from vigie.web.deps import DbId, current_agent, declared_query_only, get_vigie, needs_permission

router = APIRouter(prefix="/api/v1/users", tags=["auth"], dependencies=[Depends(declared_query_only)])


@router.get("", summary="Every agent's account, its state and live logins (users.manage)")
def users(request: Request, v: Vigie = Depends(get_vigie)) -> dict[str, Any]:
    return {"users": list_users(v.db, current_agent(request))}


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: bool


@router.patch(
    "/{user_id}",
    summary="Disable or enable an account: disabling revokes its logins",
    dependencies=[Depends(needs_permission("users.manage"))],
)
def patch_user(
    user_id: DbId, body: UserPatch, request: Request, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    revoked = do_set_active(v.db, current_agent(request), user_id, body.active)
    return {"id": user_id, "active": body.active, "revoked": revoked}


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")
    new_password: str = Field(..., max_length=1024)


@router.post(
    "/{user_id}/password",
    summary="Reset an account's password: every login of it is revoked",
    dependencies=[Depends(needs_permission("users.manage"))],
)
def reset_password(
    user_id: DbId, body: PasswordReset, request: Request, v: Vigie = Depends(get_vigie)
) -> dict[str, Any]:
    revoked = do_reset_password(v.db, current_agent(request), user_id, body.new_password)
    return {"id": user_id, "revoked": revoked}
