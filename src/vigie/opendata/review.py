"""The data ethics committee's review: proposals, comments, votes, decisions.

A new dataset, or a change of a dataset's rules, is a proposal. Members of the
committee (chosen by agents holding ``opendata.committee``) comment and vote;
once at least ``VIGIE_OPENDATA_QUORUM`` members voted, a member records the
decision with its reasons: approved when more members approved than rejected.
An approved proposal's rules become the dataset's rules (a new rules version);
nothing of a dataset is released before that. Proposals, comments, the vote
count, the decision and its reasons are public (the portal's committee page);
who voted what is shown to agents only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select

from vigie.accounts.actions import do_audit
from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.accounts.storage import UserRow
from vigie.db import utcnow
from vigie.errors import Conflict, Forbidden, NotFound, ValidationFailed
from vigie.opendata.domain import rules_from_json
from vigie.opendata.queries import dataset_of
from vigie.opendata.scanner import EMAIL, PHONE
from vigie.opendata.storage import CommentRow, CommitteeMemberRow, DatasetRow, ProposalRow, VoteRow
from vigie.runtime import Vigie

VOTES = ("approve", "reject", "abstain")
MAX_TEXT = 5000


@dataclass(frozen=True)
class Proposal:
    id: int
    dataset_id: str
    kind: str
    rules: dict[str, Any]
    summary: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    reasons: str
    votes: dict[str, int]
    comments: list[dict[str, Any]]


def is_member(v: Vigie, agent: Agent) -> bool:
    with v.db.session() as s:
        return s.get(CommitteeMemberRow, agent.id) is not None


def _member(v: Vigie, agent: Agent | None) -> Agent:
    agent = require(agent, "opendata.review")
    if not is_member(v, agent):
        raise Forbidden("only members of the data ethics committee may do this")
    return agent


def do_add_member(v: Vigie, agent: Agent | None, user_id: int) -> None:
    agent = require(agent, "opendata.committee")
    with v.db.session(write=True) as s:
        if s.get(UserRow, user_id) is None:
            raise NotFound(f"no agent {user_id}")
        if s.get(CommitteeMemberRow, user_id) is None:
            s.add(CommitteeMemberRow(user_id=user_id, added_at=utcnow()))
            do_audit(s, agent, "opendata.committee.add", "user", str(user_id))
        s.commit()


def do_remove_member(v: Vigie, agent: Agent | None, user_id: int) -> None:
    agent = require(agent, "opendata.committee")
    with v.db.session(write=True) as s:
        s.execute(delete(CommitteeMemberRow).where(CommitteeMemberRow.user_id == user_id))
        do_audit(s, agent, "opendata.committee.remove", "user", str(user_id))
        s.commit()


def committee(v: Vigie) -> list[dict[str, Any]]:
    """The members (for agents: names are not shown publicly)."""
    with v.db.session() as s:
        rows = s.execute(
            select(UserRow.id, UserRow.name, UserRow.email)
            .join(CommitteeMemberRow, CommitteeMemberRow.user_id == UserRow.id)
            .order_by(UserRow.name)
        ).all()
    return [{"id": r.id, "name": r.name or r.email} for r in rows]


def do_propose_rules(v: Vigie, agent: Agent | None, dataset_id: str, rules: Any, summary: str) -> int:
    """Propose new rules for an existing dataset; its current rules stay until approval."""
    agent = require(agent, "opendata.publish")
    dataset = dataset_of(v, dataset_id)
    checked = rules_from_json(rules, dataset.columns)
    summary = public_text(summary, "summary")
    with v.db.session(write=True) as s:
        if s.scalar(
            select(func.count()).where(ProposalRow.dataset_id == dataset_id, ProposalRow.status == "open")
        ):
            raise Conflict(
                f"dataset {dataset_id!r} already has a proposal under review",
                reason="committee.under_review",
            )
        row = ProposalRow(
            dataset_id=dataset_id,
            kind="rules",
            rules=checked.to_json(),
            summary=summary,
            status="open",
            proposed_by=None if agent.is_system else agent.id,
            created_at=utcnow(),
        )
        s.add(row)
        s.flush()
        do_audit(s, agent, "opendata.proposal.create", "proposal", str(row.id), {"dataset": dataset_id})
        s.commit()
        return row.id


def do_comment(v: Vigie, agent: Agent | None, proposal_id: int, body: str) -> None:
    agent = _member(v, agent)
    body = public_text(body, "body", required=True)
    with v.db.session(write=True) as s:
        _open(s, proposal_id)
        s.add(CommentRow(proposal_id=proposal_id, author_id=agent.id, body=body, created_at=utcnow()))
        s.commit()


def do_vote(v: Vigie, agent: Agent | None, proposal_id: int, vote: str) -> None:
    """A member's vote (a second vote replaces the first while the proposal is open)."""
    agent = _member(v, agent)
    if vote not in VOTES:
        raise ValidationFailed(f"vote must be one of {', '.join(VOTES)}", field="vote")
    with v.db.session(write=True) as s:
        _open(s, proposal_id)
        row = s.get(VoteRow, (proposal_id, agent.id))
        if row is None:
            s.add(VoteRow(proposal_id=proposal_id, voter_id=agent.id, vote=vote, created_at=utcnow()))
        else:
            row.vote, row.created_at = vote, utcnow()
        s.commit()


def do_decide(v: Vigie, agent: Agent | None, proposal_id: int, reasons: str) -> str:
    """Record the committee's decision from the votes cast; the outcome (approved, rejected)."""
    agent = _member(v, agent)
    reasons = public_text(reasons, "reasons", required=True)
    quorum = v.settings.opendata_quorum
    with v.db.session(write=True) as s:
        proposal = _open(s, proposal_id)
        tally = dict(
            s.execute(
                select(VoteRow.vote, func.count())
                .where(VoteRow.proposal_id == proposal_id)
                .group_by(VoteRow.vote)
            ).all()
        )
        cast = sum(tally.values())
        if cast < quorum:
            raise Conflict(f"{cast} member(s) voted: the committee decides once {quorum} have voted")
        approved = tally.get("approve", 0) > tally.get("reject", 0)
        proposal.status = "approved" if approved else "rejected"
        proposal.decided_at = utcnow()
        proposal.decided_by = agent.id
        proposal.reasons = reasons
        dataset = s.get(DatasetRow, proposal.dataset_id)
        assert dataset is not None  # noqa: S101 - the foreign key holds it
        if approved:
            dataset.rules = proposal.rules
            dataset.rules_version += 1
            dataset.status = "approved"
        elif dataset.rules is None:
            dataset.status = "rejected"
        dataset.updated_at = utcnow()
        do_audit(
            s, agent, "opendata.proposal.decide", "proposal", str(proposal_id), {"outcome": proposal.status}
        )
        s.commit()
        return proposal.status


def proposals(v: Vigie, dataset_id: str | None = None, *, with_voters: bool = False) -> list[Proposal]:
    """Every proposal (newest first) with its vote count and comments: the public record."""
    with v.db.session() as s:
        stmt = select(ProposalRow).order_by(ProposalRow.id.desc())
        if dataset_id is not None:
            stmt = stmt.where(ProposalRow.dataset_id == dataset_id)
        rows = list(s.scalars(stmt))
        ids = [r.id for r in rows]
        votes: dict[int, dict[str, int]] = {i: {} for i in ids}
        for pid, vote, n in s.execute(
            select(VoteRow.proposal_id, VoteRow.vote, func.count())
            .where(VoteRow.proposal_id.in_(ids))
            .group_by(VoteRow.proposal_id, VoteRow.vote)
        ):
            votes[pid][vote] = n
        comments: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        stmt_c = (
            select(CommentRow.proposal_id, CommentRow.body, CommentRow.created_at, UserRow.name)
            .join(UserRow, UserRow.id == CommentRow.author_id)
            .where(CommentRow.proposal_id.in_(ids))
            .order_by(CommentRow.id)
        )
        for pid, body, at, name in s.execute(stmt_c):
            c: dict[str, Any] = {"body": body, "created_at": at}
            if with_voters:
                c["author"] = name
            comments[pid].append(c)
        return [
            Proposal(
                r.id,
                r.dataset_id,
                r.kind,
                r.rules,
                r.summary,
                r.status,
                r.created_at,
                r.decided_at,
                r.reasons,
                votes[r.id],
                comments[r.id],
            )
            for r in rows
        ]


def _open(s: Any, proposal_id: int) -> ProposalRow:
    row = s.get(ProposalRow, proposal_id)
    if row is None:
        raise NotFound(f"no proposal {proposal_id}")
    if row.status != "open":
        raise Conflict(f"proposal {proposal_id} was already decided ({row.status})")
    return row


def public_text(value: Any, name: str, *, required: bool = False) -> str:
    """Text for the committee's public record (a summary, a comment, the reasons): members
    discuss residents' reports, and an e-mail address or a phone number pasted from one
    would be published as it is, so the personal data scanner's patterns are refused."""
    if not isinstance(value, str):
        raise ValidationFailed(f"{name} must be text", field=name, reason="committee.not_text")
    value = value.strip()
    if required and not value:
        raise ValidationFailed(f"{name} is required", field=name, reason="committee.required")
    if len(value) > MAX_TEXT:
        raise ValidationFailed(
            f"{name} is longer than {MAX_TEXT} characters",
            field=name,
            reason="committee.too_long",
            params={"max": MAX_TEXT},
        )
    for pattern, what, code in (
        (EMAIL, "an e-mail address", "committee.email"),
        (PHONE, "a phone number", "committee.phone"),
    ):
        if re.search(pattern, value):
            raise ValidationFailed(
                f"{name} holds what looks like {what}: the committee's record is public, leave it out",
                field=name,
                reason=code,
            )
    return value
