"""Builders shared by the open data tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from vigie.accounts.domain import Agent
from vigie.opendata.actions import do_create_dataset, do_upload
from vigie.opendata.review import do_add_member, do_decide, do_vote, proposals
from vigie.runtime import Vigie

CARPARKS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "dijon" / "opendata"
CARPARK_CSV = CARPARKS / "diviapark_occupancy_timeseries.csv"
# The DCAT-AP 3.0.1 SHACL shapes, shared by every checkout: ../shared/standards next to the repository.
SHAPES = Path(__file__).resolve().parents[2] / ".." / "shared" / "standards" / "dcat-ap-3.0.1"

METADATA: dict[str, Any] = {
    "title_fr": "Jeu d'essai",
    "title_en": "Test dataset",
    "description_fr": "Un jeu de données pour les tests.",
    "description_en": "A dataset for the tests.",
    "publisher": "Dijon Métropole",
    "contact_point": "opendata@metropole-dijon.fr",
    "licence": "etalab-2.0",
    "themes": ["TRAN"],
    "keywords": ["test"],
    "spatial": "Dijon Métropole",
    "frequency": "DAILY",
}

CARPARK_COLUMNS = [
    {"name": "datetime", "type": "timestamp", "kind": "time", "fr": "Date", "en": "Date"},
    {"name": "parking", "type": "string", "kind": "category", "fr": "Parking", "en": "Car park"},
    {"name": "pourcentage", "type": "int", "kind": "measure", "fr": "Occupation (%)", "en": "Occupancy (%)"},
]


def carpark_csv(rows: int = 500) -> bytes:
    """The first ``rows`` lines of the real DiviaPark occupancy series (after its header)."""
    with CARPARK_CSV.open("rb") as f:
        lines = [next(f) for _ in range(rows + 1)]
    return b"".join(lines)


def committee(vigie: Vigie, make_agent: Callable[..., Agent], members: int = 2) -> list[Agent]:
    admin = make_agent("admin")
    agents = [make_agent("supervisor") for _ in range(members)]
    for a in agents:
        do_add_member(vigie, admin, a.id)
    return agents


def approve(vigie: Vigie, members: list[Agent], dataset_id: str) -> None:
    """The committee approves the open proposal of ``dataset_id``."""
    proposal = next(p for p in proposals(vigie, dataset_id) if p.status == "open")
    for m in members:
        do_vote(vigie, m, proposal.id, "approve")
    assert (
        do_decide(vigie, members[0], proposal.id, "Données agrégées, pas de donnée personnelle.")
        == "approved"
    )


def create(vigie: Vigie, agent: Agent, dataset_id: str, **over: Any) -> Any:
    payload: dict[str, Any] = {"id": dataset_id, "metadata": dict(METADATA), "source": "upload", "rules": {}}
    payload.update(over)
    return do_create_dataset(vigie, agent, payload)


def carpark_dataset(vigie: Vigie, agent: Agent, members: list[Agent], rows: int = 500) -> str:
    create(vigie, agent, "parkings", columns=CARPARK_COLUMNS, rules={"time": {"datetime": "hour"}})
    do_upload(vigie, agent, "parkings", carpark_csv(rows), "csv")
    approve(vigie, members, "parkings")
    return "parkings"


def published_carparks(vigie: Vigie, make_agent: Callable[..., Agent]) -> Agent:
    """The car-park dataset (200 rows) approved and released; its publisher."""
    from vigie.opendata.actions import do_release

    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    carpark_dataset(vigie, publisher, members, rows=200)
    do_release(vigie, publisher, "parkings")
    return publisher
