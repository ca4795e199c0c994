"""Agents' logins seen and revoked: one's own sessions and tokens, an account disabled, a
password changed or reset.

Every login (browser session or bearer token) is a row of ``auth_tokens``, and every
authenticated request reads its row (``agent_for_token``): deleting the row is exact, the
next request on any worker is refused (401), with no cache to bound. Each revocation is
audited (``auth.logout``, ``auth.revoke``, ``auth.revoke_all``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vigie.accounts.actions import (
    check_email,
    check_password,
    do_audit,
    hash_password,
    hash_secret,
    require,
    to_agent,
)
from vigie.accounts.domain import Agent
from vigie.accounts.storage import AuthTokenRow, UserRow
from vigie.db import Database, utcnow
from vigie.errors import Conflict, NotFound, Unauthorized


def _signed_in(agent: Agent | None) -> Agent:
    """Any agent may see and revoke their own logins, whatever their role."""
    if agent is None:
        raise Unauthorized("log in as an agent to do this")
    return agent


def revoke_all(s: Session, user_id: int) -> int:
    """Delete every login of ``user_id`` in the caller's transaction; how many there were."""
    found = s.execute(delete(AuthTokenRow).where(AuthTokenRow.user_id == user_id))
    return int(getattr(found, "rowcount", 0) or 0)


def do_logout(db: Database, token: str) -> None:
    """Sign out: the login whose text this is stops working at once (unknown: nothing)."""
    with db.session(write=True) as s:
        row = s.scalar(select(AuthTokenRow).where(AuthTokenRow.token_hash == hash_secret(token)))
        if row is None:
            return
        user = s.get(UserRow, row.user_id)
        s.delete(row)
        if user is not None:
            do_audit(s, to_agent(user), "auth.logout", "user", str(user.id), {"kind": row.kind})
        s.commit()


def list_logins(db: Database, agent: Agent | None, current_token: str = "") -> list[dict[str, Any]]:
    """The caller's own logins that have not expired, newest first (``current``: this request's)."""
    agent = _signed_in(agent)
    mine = hash_secret(current_token) if current_token else ""
    with db.session() as s:
        rows = s.scalars(
            select(AuthTokenRow)
            .where(AuthTokenRow.user_id == agent.id, AuthTokenRow.expires_at > utcnow())
            .order_by(AuthTokenRow.created_at.desc(), AuthTokenRow.id.desc())
        ).all()
        return [
            {
                "id": r.id,
                "kind": r.kind,
                "created_at": r.created_at.isoformat(),
                "expires_at": r.expires_at.isoformat(),
                "current": r.token_hash == mine,
            }
            for r in rows
        ]


def do_revoke_login(db: Database, agent: Agent | None, login_id: int) -> None:
    """Revoke one of the caller's own logins; another's is answered as not existing (404)."""
    agent = _signed_in(agent)
    with db.session(write=True) as s:
        row = s.get(AuthTokenRow, login_id)
        if row is None or row.user_id != agent.id:
            raise NotFound(f"no session or token {login_id} of yours")
        s.delete(row)
        do_audit(s, agent, "auth.revoke", "user", str(agent.id), {"login": login_id, "kind": row.kind})
        s.commit()


def do_revoke_other_logins(db: Database, agent: Agent | None, current_token: str) -> int:
    """Revoke every login of the caller but the one this request came with; how many."""
    agent = _signed_in(agent)
    with db.session(write=True) as s:
        found = s.execute(
            delete(AuthTokenRow).where(
                AuthTokenRow.user_id == agent.id, AuthTokenRow.token_hash != hash_secret(current_token)
            )
        )
        count = int(getattr(found, "rowcount", 0) or 0)
        do_audit(s, agent, "auth.revoke_all", "user", str(agent.id), {"reason": "others", "count": count})
        s.commit()
    return count


def do_change_password(db: Database, agent: Agent | None, new_password: str) -> int:
    """Set the caller's own password (its current one already checked by the caller, with the
    sign-in throttle) and revoke all the caller's logins, this one included; how many."""
    agent = _signed_in(agent)
    check_password(new_password)
    return _set_password(db, agent, agent.id, new_password, "password_changed")


def do_reset_password(db: Database, agent: Agent | None, user_id: int, new_password: str) -> int:
    """An administrator sets an account's password; every login of the account is revoked."""
    agent = require(agent, "users.manage")
    check_password(new_password)
    return _set_password(db, agent, user_id, new_password, "password_reset")


def _set_password(db: Database, agent: Agent, user_id: int, password: str, reason: str) -> int:
    digest = hash_password(password)
    with db.session(write=True) as s:
        user = s.get(UserRow, user_id, with_for_update=True)
        if user is None:
            raise NotFound(f"no account {user_id}")
        user.password_hash = digest
        count = revoke_all(s, user_id)
        do_audit(s, agent, "auth.revoke_all", "user", str(user_id), {"reason": reason, "count": count})
        s.commit()
    return count


def do_set_active(db: Database, agent: Agent | None, user_id: int, active: bool) -> int:
    """Enable or disable an account (``users.manage``); disabling revokes all its logins."""
    agent = require(agent, "users.manage")
    if user_id == agent.id and not active:
        raise Conflict("you cannot disable your own account", field="active")
    with db.session(write=True) as s:
        user = s.get(UserRow, user_id, with_for_update=True)
        if user is None:
            raise NotFound(f"no account {user_id}")
        count = 0
        if user.active != active:
            user.active = active
            do_audit(s, agent, "user.enable" if active else "user.disable", "user", str(user_id))
        if not active:
            count = revoke_all(s, user_id)
            do_audit(
                s, agent, "auth.revoke_all", "user", str(user_id), {"reason": "disabled", "count": count}
            )
        s.commit()
    return count


def user_id_of(db: Database, email: str) -> int:
    email = check_email(email)
    with db.session() as s:
        found = s.scalar(select(UserRow.id).where(UserRow.email == email))
    if found is None:
        raise NotFound(f"no account for {email}")
    return int(found)


def list_users(db: Database, agent: Agent | None) -> list[dict[str, Any]]:
    """Every account with its role and state, and how many live logins it has (``users.manage``)."""
    require(agent, "users.manage")
    now = utcnow()
    with db.session() as s:
        users = s.scalars(select(UserRow).order_by(UserRow.email)).all()
        live: dict[int, int] = {}
        for uid in s.scalars(select(AuthTokenRow.user_id).where(AuthTokenRow.expires_at > now)):
            live[uid] = live.get(uid, 0) + 1
        return [
            {
                "id": u.id,
                "email": u.email,
                "name": u.name,
                "role": u.role,
                "team": u.team,
                "active": u.active,
                "logins": live.get(u.id, 0),
            }
            for u in users
        ]
