"""Agents, logins, API keys and the audit log."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigie.accounts.domain import Agent, Role

# Re-exported: the check lives with the registry (accounts/permissions.py).
from vigie.accounts.permissions import require as require
from vigie.accounts.storage import ApiKeyRow, AuditRow, AuthTokenRow, UserRow
from vigie.db import Database, utcnow
from vigie.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed

_hasher = PasswordHasher()
# Verifying against this keeps the timing of unknown and known e-mails alike.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
MIN_PASSWORD = 10
AUDIT_TARGET_ID_MAX = 64  # audit_log.target_id is String(64)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email):
        raise ValidationFailed("not a valid e-mail address", field="email")
    return email


def check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ValidationFailed(
            f"unknown role '{role}' (expected one of {', '.join(r.value for r in Role)})",
            field="role",
        ) from None


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise ValidationFailed(f"password must have at least {MIN_PASSWORD} characters", field="password")
    return password


def to_agent(row: UserRow) -> Agent:
    return Agent(row.id, row.email, row.name, Role(row.role), row.team)


def do_add_user(
    db: Database,
    email: str,
    role: str,
    password: str,
    *,
    name: str = "",
    team: str = "",
    demo: bool = False,
) -> Agent:
    email = check_email(email)
    role_ = check_role(role)
    check_password(password)
    with db.session(write=True) as s:
        row = UserRow(
            email=email,
            name=name,
            role=role_.value,
            team=team,
            password_hash=hash_password(password),
            demo=demo,
            created_at=utcnow(),
        )
        s.add(row)
        try:
            s.commit()
        except IntegrityError:
            raise Conflict(f"an account already exists for {email}", field="email") from None
        return to_agent(row)


def authenticate(db: Database, email: str, password: str) -> Agent:
    email = (email or "").strip().lower()
    with db.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.email == email))
    try:
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        raise Unauthorized("wrong e-mail or password") from None
    if row is None or not row.active:
        raise Unauthorized("wrong e-mail or password")
    return to_agent(row)


def do_create_login(db: Database, agent: Agent, kind: str, ttl_hours: int) -> tuple[str, str]:
    """Create a session or bearer token. Returns (token, csrf_token); only hashes are stored."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24) if kind == "session" else ""
    now = utcnow()
    with db.session(write=True) as s:
        s.execute(delete(AuthTokenRow).where(AuthTokenRow.expires_at < now))
        s.add(
            AuthTokenRow(
                token_hash=hash_secret(token),
                user_id=agent.id,
                kind=kind,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + timedelta(hours=ttl_hours),
            )
        )
        do_audit(s, agent, "auth.login", "user", str(agent.id), {"kind": kind})
        s.commit()
    return token, csrf


def agent_for_token(db: Database, token: str, kind: str) -> tuple[Agent, str] | None:
    with db.session() as s:
        found = s.execute(
            select(UserRow, AuthTokenRow)
            .join(AuthTokenRow, AuthTokenRow.user_id == UserRow.id)
            .where(AuthTokenRow.token_hash == hash_secret(token), AuthTokenRow.kind == kind)
        ).first()
    if not found:
        return None
    user, tok = found
    if tok.expires_at < utcnow() or not user.active:
        return None
    return to_agent(user), tok.csrf_token


def do_create_api_key(db: Database, name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("an API key needs a name", field="name")
    key = "vk_" + secrets.token_urlsafe(30)
    with db.session(write=True) as s:
        s.add(ApiKeyRow(name=name, prefix=key[:8], key_hash=hash_secret(key), created_at=utcnow()))
        s.commit()
    return key


@dataclass(frozen=True)
class ApiKey:
    """A live Open311 key: its id (idempotency keys are scoped by it) and its holder's name."""

    id: int
    name: str


def check_api_key(db: Database, key: str | None) -> ApiKey:
    """The live Open311 key whose text this is, or Forbidden. Read on every request, as a
    login is (``agent_for_token``): a revoked key is refused at its next request, on every
    worker and every machine; a copy kept by a worker is what let it go on for 60 s."""
    if not key:
        raise Forbidden("api_key is required", field="api_key")
    # One statement: on PostgreSQL one round trip (no BEGIN, no ROLLBACK).
    with db.one_statement_connection() as c:
        row = c.execute(
            select(ApiKeyRow.id, ApiKeyRow.name).where(
                ApiKeyRow.key_hash == hash_secret(key), ApiKeyRow.revoked_at.is_(None)
            )
        ).first()
    if row is None:
        raise Forbidden("invalid api_key", field="api_key")
    return ApiKey(row.id, row.name)


def list_api_keys(db: Database) -> list[dict[str, Any]]:
    """Every Open311 key, oldest first: id, name, the key's first characters, dates."""
    with db.session() as s:
        return [
            {
                "id": r.id,
                "name": r.name,
                "prefix": r.prefix,
                "created_at": r.created_at.isoformat(),
                "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None,
            }
            for r in s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))
        ]


def do_revoke_api_key(db: Database, agent: Agent | None, key_id: int) -> None:
    """Revoke an Open311 key (``users.manage``): its next request is refused (403), audited."""
    agent = require(agent, "users.manage")
    with db.session(write=True) as s:
        row = s.get(ApiKeyRow, key_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no API key {key_id}")
        if row.revoked_at is not None:
            raise Conflict(f"API key {key_id} is already revoked")
        row.revoked_at = utcnow()
        do_audit(s, agent, "api_key.revoke", "api_key", str(key_id), {"name": row.name})
        s.commit()


def do_audit(
    s: Session,
    agent: Agent | None,
    action: str,
    target_type: str,
    target_id: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write an audit entry in the caller's transaction (it commits or rolls back with it).

    A target id longer than its column (a file path…) is kept whole in the
    detail, and its end, the part that tells targets apart, in ``target_id``.
    """
    detail = dict(detail or {})
    if len(target_id) > AUDIT_TARGET_ID_MAX:
        detail["target_id"] = target_id
        target_id = "…" + target_id[-(AUDIT_TARGET_ID_MAX - 1) :]
    s.add(
        AuditRow(
            at=utcnow(),
            user_id=agent.id if agent and not agent.is_system else None,
            actor=agent.email if agent else "system",
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=detail,
        )
    )
