"""History mode, point shapes, attributes, kept reference numbers and --check, on the Dijon profile."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from vigie.events.domain import DomainEvent
from vigie.importer.run import run_import
from vigie.pilotage.stats import compute_stats
from vigie.reports.storage import ReportRow, ReportUpdateRow
from vigie.runtime import Vigie
from vigie.sources.mapping import RowError, parse_point

MAPPING = """\
external_id: {column: numero, prefix: "ancien:"}
dates: {formats: ["%d/%m/%Y %H:%M"]}
location: {point: coordonnees}
reference: {keep_source_number: true}
fields:
  service_code: {column: type, value_map: {Trou: nid-de-poule, Tag: tag-domaine-public}}
  description: {column: texte}
  address: {column: adresse}
  requested_at: {column: ouvert}
  closed_at: {column: ferme}
  status: {column: etat, value_map: {Ouvert: acknowledged, Clos: resolved}}
  status_notes: {column: reponse}
attributes:
  danger_immediat: {value: non}
  diametre_cm: {column: taille}
  injurieux: {value: non}
"""

ROWS = [
    # numero, type, texte, adresse, ouvert, ferme, etat, reponse, coordonnees, taille
    (
        "48213",
        "Trou",
        "Trou rue Monge",
        "rue Monge",
        "02/03/2019 10:00",
        "",
        "Ouvert",
        "",
        "{'lon': 5.0415, 'lat': 47.3220}",
        "40",
    ),
    (
        "48214",
        "Trou",
        "Trou bd Carnot",
        "bd Carnot",
        "03/03/2019 11:00",
        "05/03/2019 09:00",
        "Clos",
        "Rebouché le 5 mars",
        '{"lat": 47.3225, "lng": 5.0420}',
        "",
    ),
    (
        "48215",
        "Tag",
        "Tag sur un mur",
        "rue Jean-Jacques Rousseau",
        "04/03/2019 12:00",
        "",
        "Ouvert",
        "",
        '{"type": "Point", "coordinates": [5.0430, 47.3230]}',
        "12",
    ),
    (
        "48216",
        "Trou",
        "Trou place Darcy",
        "place Darcy",
        "05/03/2019 13:00",
        "",
        "Ouvert",
        "",
        "POINT (5.0349 47.3225)",
        "",
    ),
    (
        "48217",
        "Trou",
        "Trou rue de la Liberté",
        "rue de la Liberté",
        "06/03/2019 14:00",
        "",
        "Ouvert",
        "",
        "(47.3219, 5.0390)",
        "",
    ),
    (
        "48218",
        "Trou",
        "Trou à Paris",
        "Paris",
        "07/03/2019 15:00",
        "",
        "Ouvert",
        "",
        "{'lon': 2.33, 'lat': 48.88}",
        "",
    ),
    ("48219", "Trou", "Trou sans lieu", "nulle part", "08/03/2019 16:00", "", "Ouvert", "", "{'x': 1}", ""),
]
HEADER = ["numero", "type", "texte", "adresse", "ouvert", "ferme", "etat", "reponse", "coordonnees", "taille"]


@pytest.fixture
def history_files(tmp_path: Path) -> tuple[Path, Path]:
    mapping = tmp_path / "ancien.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(ROWS)
    data = tmp_path / "historique.csv"
    data.write_text(out.getvalue(), encoding="utf-8")
    return data, mapping


def _rows(v: Vigie) -> dict[str, ReportRow]:
    with v.db.session() as s:
        return {r.external_id or "": r for r in s.scalars(select(ReportRow))}


def test_import_history_keeps_states_dates_and_numbers_without_sla(
    vigie: Vigie, history_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    published: list[DomainEvent] = []
    monkeypatch.setattr(vigie.bus, "publish", lambda events: published.extend(events))
    data, mapping = history_files
    result = run_import(vigie, data, mapping)
    assert result.created == 5, result.failed
    assert [p for p, _ in result.failed] == [7, 8]
    assert "outside" in result.failed[0][1]
    assert "coordonnees" in result.failed[1][1]
    rows = _rows(vigie)
    first = rows["ancien:48213"]
    assert first.reference == "DIJ-2019-48213"  # the city's scheme, the source's number
    assert first.status == "acknowledged"
    assert first.expected_at is None  # no SLA clock on history: never overdue
    assert first.attributes == {"danger_immediat": "non", "diametre_cm": 40}
    assert first.requested_at.isoformat().startswith("2019-03-02T09:00")  # 10:00 in Dijon
    closed = rows["ancien:48214"]
    assert closed.status == "resolved"
    assert closed.closed_at is not None and closed.closed_at.isoformat().startswith("2019-03-05T08:00")
    assert (closed.lat, closed.long) == (47.3225, 5.0420)
    # A service gets the attributes it defines; the others are left out, not refused.
    assert rows["ancien:48215"].attributes == {"injurieux": "non"}
    assert (rows["ancien:48215"].lat, rows["ancien:48215"].long) == (47.3230, 5.0430)
    assert (rows["ancien:48216"].lat, rows["ancien:48216"].long) == (47.3225, 5.0349)
    assert (rows["ancien:48217"].lat, rows["ancien:48217"].long) == (47.3219, 5.0390)
    with vigie.db.session() as s:
        notes = list(
            s.scalars(select(ReportUpdateRow.public_note).where(ReportUpdateRow.report_id == closed.id))
        )
    assert "Rebouché le 5 mars" in notes
    # No event per report, no e-mail: one summary for the control room.
    assert [e.type for e in published] == ["reports.imported"]
    assert published[0].agent["created"] == 5 and not published[0].public
    # The dashboard counts none of them late.
    assert compute_stats(vigie)["overdue"] == 0


def test_import_history_rerun_skips_and_check_writes_nothing(
    vigie: Vigie, history_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    published: list[DomainEvent] = []
    monkeypatch.setattr(vigie.bus, "publish", lambda events: published.extend(events))
    data, mapping = history_files
    checked = run_import(vigie, data, mapping, check=True)
    assert checked.created == 5 and len(checked.failed) == 2
    assert any("would be created" in line for line in checked.summary_lines())
    with vigie.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReportRow)) == 0
    assert published == []  # nor tells the control room to reload for reports never written
    run_import(vigie, data, mapping)
    again = run_import(vigie, data, mapping)
    assert (again.created, again.skipped) == (0, 5)


def test_import_live_mode_runs_the_sla_clock(vigie: Vigie, history_files: tuple[Path, Path]) -> None:
    data, mapping = history_files
    result = run_import(vigie, data, mapping, mode="live")
    assert result.created == 5
    assert _rows(vigie)["ancien:48213"].expected_at is not None


def test_import_batch_failure_names_the_record_and_keeps_the_others(
    vigie: Vigie, tmp_path: Path, history_files: tuple[Path, Path]
) -> None:
    data, mapping = history_files
    # Two files whose source numbers give the same reference: the second's record fails alone.
    run_import(vigie, data, mapping)
    other = tmp_path / "autre.yaml"
    other.write_text(MAPPING.replace('prefix: "ancien:"', 'prefix: "autre:"'), encoding="utf-8")
    result = run_import(vigie, data, other, batch_size=50)
    assert result.created == 0
    assert len(result.failed) == 7  # 5 references taken, 2 bad records


def test_import_history_record_without_point_names_the_empty_column(vigie: Vigie, tmp_path: Path) -> None:
    mapping = tmp_path / "ancien.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerow(["48220", "Tag", "Tag sans lieu", "", "09/03/2019 10:00", "", "Ouvert", "", "", ""])
    data = tmp_path / "historique.csv"
    data.write_text(out.getvalue(), encoding="utf-8")
    result = run_import(vigie, data, mapping, check=True)
    assert result.failed == [(2, "location: no point (column 'coordonnees' is empty) and no address")]


@pytest.mark.parametrize(
    ("text", "keys", "expected"),
    [
        ("{'lon': 2.33, 'lat': 48.88}", None, (48.88, 2.33)),
        ('{"Latitude": 48.88, "Longitude": 2.33}', None, (48.88, 2.33)),
        ('{"type": "Point", "coordinates": [2.33, 48.88]}', None, (48.88, 2.33)),
        ("{'y_wgs': 48.88, 'x_wgs': 2.33}", ("y_wgs", "x_wgs"), (48.88, 2.33)),
        ("POINT (2.33 48.88)", None, (48.88, 2.33)),
        ("(48.88, 2.33)", None, (48.88, 2.33)),
    ],
)
def test_mapping_point_shapes(text: str, keys: Any, expected: tuple[float, float]) -> None:
    assert parse_point(text, "geo", keys) == expected


@pytest.mark.parametrize(
    "text", ["{'lon': 2.33}", "{not json", "{'a': __import__('os')}", '{"type": "LineString"}']
)
def test_mapping_point_shapes_refused_with_the_column_named(text: str) -> None:
    with pytest.raises(RowError) as exc:
        parse_point(text, "geo")
    assert exc.value.field == "lat" and "geo" in exc.value.message


CLOSED_MAPPING = """\
external_id: {column: numero}
dates: {formats: ["%d/%m/%Y %H:%M"]}
location: {lat: lat, long: lon}
fields:
  service_code: {value: tag-domaine-public}
  requested_at: {column: ouvert}
  updated_at: {column: modifie}
  closed_at: {column: ferme}
  status: {column: etat, value_map: {Ouvert: acknowledged, Clos: resolved, Rejete: rejected}}
attributes:
  injurieux: {value: non}
"""
CLOSED_CSV = """\
numero,ouvert,modifie,ferme,etat,lat,lon
1,02/03/2019 10:00,09/03/2019 17:00,,Clos,47.3220,5.0415
2,02/03/2019 11:00,,,Rejete,47.3220,5.0415
3,02/03/2019 12:00,04/03/2019 08:00,05/03/2019 09:00,Clos,47.3220,5.0415
4,02/03/2019 13:00,06/03/2019 08:00,,Ouvert,47.3220,5.0415
"""


def _closed_files(tmp_path: Path, strict: bool) -> tuple[Path, Path]:
    mapping = tmp_path / "clos.yaml"
    mapping.write_text(CLOSED_MAPPING + ("closed_without_date: refuse\n" if strict else ""), encoding="utf-8")
    data = tmp_path / "clos.csv"
    data.write_text(CLOSED_CSV, encoding="utf-8")
    return data, mapping


def test_import_history_closes_a_closed_record_without_date_at_its_last_update(
    vigie: Vigie, tmp_path: Path
) -> None:
    result = run_import(vigie, *_closed_files(tmp_path, strict=False))
    assert (result.created, result.failed) == (4, [])
    rows = _rows(vigie)
    # Paris is UTC+1 in March: the source's local times, an hour earlier in UTC.
    closed_at = {k: (r.closed_at.isoformat()[:16] if r.closed_at else None) for k, r in rows.items()}
    assert closed_at == {
        "1": "2019-03-09T16:00",  # its last update
        "2": "2019-03-02T10:00",  # no update either: the day it was requested
        "3": "2019-03-05T08:00",  # its own closing date
        "4": None,  # open: no closing date
    }
    with vigie.db.session() as s:
        at = s.scalar(
            select(ReportUpdateRow.at).where(
                ReportUpdateRow.report_id == rows["1"].id, ReportUpdateRow.kind == "status"
            )
        )
    assert at is not None and at.isoformat().startswith("2019-03-09T16:00")  # the history agrees


def test_import_history_refuses_a_closed_record_without_date_when_the_mapping_says_so(
    vigie: Vigie, tmp_path: Path
) -> None:
    data, mapping = _closed_files(tmp_path, strict=True)
    checked = run_import(vigie, data, mapping, check=True)
    assert checked.created == 2
    assert [p for p, _ in checked.failed] == [2, 3]
    assert "closed_at: no closing date for a closed record (status 'resolved'" in checked.failed[0][1]
    assert "status 'rejected'" in checked.failed[1][1]
    result = run_import(vigie, data, mapping)
    assert result.created == 2 and sorted(_rows(vigie)) == ["3", "4"]
