"""The portal's public KPI charts as a resident reads them: groups by name, the month still
being counted marked as such."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from tests.opendata.helpers import METADATA, approve, committee, create
from tests.reports.helpers import submit_report
from vigie.opendata.actions import do_release
from vigie.opendata.views import public_kpis
from vigie.reports.storage import ReportRow


def _kpis_over_two_months(vigie, make_agent) -> tuple[str, str]:
    """Six reports last month, six this month (closed a day after), then the KPI release:
    (last month, this month) as ISO dates of their first day."""
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    ids = [submit_report(vigie) for _ in range(12)]
    now = datetime.now(UTC)
    this_month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    with vigie.db.session() as s:
        s.execute(
            update(ReportRow)
            .where(ReportRow.id.in_(ids[:6]))
            .values(requested_at=last_month + timedelta(days=2), closed_at=last_month + timedelta(days=3))
        )
        s.commit()
    meta = {**METADATA, "themes": ["GOVE"]}
    create(vigie, publisher, "indicateurs", source="kpis", metadata=meta, rules={})
    approve(vigie, members, "indicateurs")
    assert do_release(vigie, publisher, "indicateurs").status == "published"
    return last_month.date().isoformat(), this_month.date().isoformat()


def test_opendata_web_kpis_name_groups_in_the_pages_language(vigie, make_agent, client):
    _kpis_over_two_months(vigie, make_agent)
    group = vigie.catalogue.groups[vigie.catalogue.services["nid-de-poule"].group]
    fr, en = group.name.get("fr"), group.name.get("en")
    assert fr != en and group.code not in (fr, en)
    assert [g for g, _ in public_kpis(vigie, lang="fr")["delays"]] == [fr]
    assert [g for g, _ in public_kpis(vigie, lang="en")["delays"]] == [en]
    # The table under the delay chart (and the chart's own labels, from the same data).
    assert f'<th scope="row">{fr}</th>' in client.get("/donnees").text
    english = client.get("/donnees?lang=en").text
    assert f'<th scope="row">{en}</th>' in english and f'<th scope="row">{group.code}</th>' not in english


def test_opendata_web_kpis_mark_the_month_still_being_counted(vigie, make_agent, client):
    last, this = _kpis_over_two_months(vigie, make_agent)
    kpis = public_kpis(vigie)
    assert kpis["months"] == [last, this] and kpis["partial"] == this
    page = client.get("/donnees").text
    assert f'<tr class="partial"><th scope="row">{this[:7]} (mois en cours, partiel)</th>' in page
    assert f'<th scope="row">{last[:7]}</th>' in page  # a complete month says nothing more
    assert 'id="kpi-partial-note"' in page and "mois en cours à la publication" in page
    english = client.get("/donnees?lang=en").text
    assert f"{this[:7]} (current month, partial)" in english
    assert "current month when published" in english


def test_opendata_web_kpis_of_a_past_release_have_no_partial_month(vigie, make_agent, client):
    """Built during a month its rows no longer reach (every report older): nothing is partial."""
    last, _ = _kpis_over_two_months(vigie, make_agent)
    with vigie.db.session() as s:
        s.execute(update(ReportRow).values(requested_at=datetime.fromisoformat(last).replace(tzinfo=UTC)))
        s.commit()
    do_release(vigie, make_agent("supervisor"), "indicateurs")
    kpis = public_kpis(vigie)
    assert kpis["months"] == [last] and kpis["partial"] == ""
    assert "kpi-partial-note" not in client.get("/donnees").text


def test_opendata_web_kpis_link_their_dataset_by_title(vigie, make_agent, client):
    """The charts' source is linked by its title in the page's language, not by its id."""
    _kpis_over_two_months(vigie, make_agent)
    page = client.get("/donnees").text
    assert '<a href="/donnees/indicateurs">Jeu d&#39;essai</a>.' in page
    assert '<a href="/donnees/indicateurs">indicateurs</a>' not in page
    assert '<a href="/donnees/indicateurs">Test dataset</a>.' in client.get("/donnees?lang=en").text


def test_opendata_web_english_portal_says_keywords_in_english(vigie, make_agent, client):
    """The keyword facets and a dataset's keywords in English on the English pages (the filter's
    value stays the French keyword), and no French colon spacing in the catalogue line."""
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    meta = {**METADATA, "keywords": ["vélo", "mobilité"], "keywords_en": ["cycling", "mobility"]}
    create(vigie, publisher, "indicateurs", source="kpis", metadata=meta, rules={})
    approve(vigie, members, "indicateurs")
    assert do_release(vigie, publisher, "indicateurs").status == "published"
    english = client.get("/donnees?lang=en").text
    assert '<a href="?keyword=v%C3%A9lo&amp;">cycling</a>' in english and ">vélo</a>" not in english
    assert "datasets: <a" in english and "datasets : <a" not in english
    french = client.get("/donnees?lang=fr").text  # ?lang=en is remembered in a cookie
    assert '<a href="?keyword=v%C3%A9lo&amp;">vélo</a>' in french and "ces jeux : <a" in french
    dataset = client.get("/donnees/indicateurs?lang=en").text
    assert '<a href="/donnees?keyword=v%C3%A9lo">cycling</a>' in dataset
    chosen = client.get("/donnees?lang=en&keyword=vélo").text
    assert "cycling (remove the filter)" in chosen
