"""Fixtures for the Open311 tests: test services, posting reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from vigie.catalogue.domain import (
    Attribute,
    AttributeValue,
    Catalogue,
    Datatype,
    Group,
    Procedure,
    Service,
    Sla,
    Text,
)
from vigie.catalogue.procedures import build_index
from vigie.runtime import Vigie

from .helpers import BULKY, CENTRE, NOTICE_FR, POTHOLE, PRIVATE, V2, required_attributes


def T(fr: str, en: str) -> Text:
    return Text({"fr": fr, "en": en})


@pytest.fixture
def extra_services(vigie: Vigie) -> Vigie:
    """Adds two services to the Dijon catalogue: one with a required multivaluelist
    (and a number, a datetime), one whose reports are not public."""
    cat = vigie.catalogue
    objets = Attribute(
        code="objets",
        datatype=Datatype.MULTIVALUELIST,
        required=True,
        description=T("Quels objets ?", "Which items?"),
        order=1,
        datatype_description=T("Un ou plusieurs", "One or more"),
        values=(
            AttributeValue("meuble", T("Meuble", "Furniture")),
            AttributeValue("electromenager", T("Électroménager", "Appliance")),
            AttributeValue("gravats", T("Gravats", "Rubble")),
        ),
    )
    volume = Attribute("volume_m3", Datatype.NUMBER, False, T("Volume", "Volume"), 2)
    vu = Attribute("vu_le", Datatype.DATETIME, False, T("Vu le", "Seen on"), 3)
    services = {
        BULKY: Service(
            code=BULKY,
            group="open311-tests",
            name=T("Encombrants", "Bulky waste"),
            description=T("Dépôt d'encombrants", "Dumped bulky waste"),
            keywords=("meuble", "dépôt"),
            attributes=(objets, volume, vu),
        ),
        PRIVATE: Service(
            code=PRIVATE,
            group="open311-tests",
            name=T("Signalement sensible", "Sensitive report"),
            description=T("Non publié", "Not published"),
            public=False,
        ),
    }
    team = next(iter(cat.teams))
    procedure = Procedure(
        id="open311-tests",
        team=team,
        sla=Sla(48),
        priority=None,
        group="open311-tests",
        messages={"new": T(NOTICE_FR, "Thanks, the city comes within 48 h.")},
    )
    new = Catalogue(
        groups={**cat.groups, "open311-tests": Group("open311-tests", T("Tests", "Tests"))},
        services={**cat.services, **services},
        teams=cat.teams,
        procedures=(*cat.procedures, procedure),
        source=cat.source,
    )
    new._index.update(build_index(new))
    vigie.catalogue = new
    return vigie


@pytest.fixture
def post(client: TestClient, api_key: str, vigie: Vigie) -> Callable[..., Any]:
    """post(fmt="json", key=api_key, headers=None, **fields) -> the httpx response.

    A pothole report gets its required attributes unless the test gives them.
    """

    def send(
        fmt: str = "json",
        key: str | None = None,
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> Any:
        data: dict[str, Any] = {"api_key": api_key if key is None else key}
        if fields.get("service_code") == POTHOLE:
            for name, value in required_attributes(vigie, POTHOLE).items():
                if name not in fields and name.removesuffix("[]") not in fields:
                    data[name] = value
        data.update(fields)
        data = {k: v for k, v in data.items() if v is not None}
        return client.post(f"{V2}/requests.{fmt}", data=data, headers=headers or {})

    return send


@pytest.fixture
def new_report(post: Callable[..., Any]) -> Callable[..., str]:
    """new_report(**fields) -> the id of a new pothole report at Dijon centre."""

    def make(**fields: Any) -> str:
        data = {"service_code": POTHOLE, **CENTRE, "description": "Trou profond", **fields}
        r = post(**data)
        assert r.status_code == 200, r.text
        return str(r.json()[0]["service_request_id"])

    return make
