from __future__ import annotations

from pathlib import Path

import pytest

from vigie.app import create_app
from vigie.errors import ConfigurationError
from vigie.maps.basemap import NoBasemap, PmtilesBasemap, RasterBasemap, make_basemap


def test_basemap_empty_setting_is_no_basemap():
    assert isinstance(make_basemap(""), NoBasemap)
    assert make_basemap("  ").csp_origin() == ""


def test_basemap_raster_template_allows_only_its_origin():
    b = make_basemap("https://tiles.example.org/{z}/{x}/{y}.png", "© Example")
    assert isinstance(b, RasterBasemap)
    assert b.csp_origin() == "https://tiles.example.org"
    assert b.page_config() == {
        "kind": "raster",
        "url": "https://tiles.example.org/{z}/{x}/{y}.png",
        "attribution": "© Example",
    }


def test_basemap_pmtiles_archive_header_is_read(pmtiles_archive: Path):
    b = make_basemap(str(pmtiles_archive))
    assert isinstance(b, PmtilesBasemap)
    assert (b.header.min_zoom, b.header.max_zoom) == (9, 13)
    min_lon, min_lat, max_lon, max_lat = b.header.bounds
    assert 4.8 < min_lon < 5.0 and 47.1 < min_lat < 47.3 and 5.1 < max_lon < 5.3 and 47.3 < max_lat < 47.5
    config = b.page_config()
    assert config["url"] == "/api/v1/map/basemap.pmtiles" and config["max_zoom"] == 13
    assert "OpenStreetMap" in config["attribution"]
    assert b.csp_origin() == ""


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("https://tiles.example.org/{z}/{x}.png", "needs {y}"),
        ("ftp://tiles.example.org/{z}/{x}/{y}.png", "expected a path to a .pmtiles file"),
        ("/srv/maps/dijon.mbtiles", "expected a path to a .pmtiles file"),
        ("/nonexistent/dijon.pmtiles", "cannot be read"),
    ],
)
def test_basemap_bad_setting_names_the_problem(value: str, message: str):
    with pytest.raises(ConfigurationError) as err:
        make_basemap(value)
    assert message in str(err.value) and "VIGIE_BASEMAP" in str(err.value)


def test_basemap_file_that_is_not_an_archive_is_refused(tmp_path: Path):
    fake = tmp_path / "fake.pmtiles"
    fake.write_bytes(b"<html>not found</html>" * 10)
    with pytest.raises(ConfigurationError, match="is not a PMTiles archive"):
        make_basemap(str(fake))
    fake.write_bytes(b"PMTiles\x02" + bytes(200))
    with pytest.raises(ConfigurationError, match="version 2"):
        make_basemap(str(fake))


def test_basemap_wrong_setting_stops_the_app_factory(vigie_settings):
    with pytest.raises(ConfigurationError, match="VIGIE_BASEMAP"):
        create_app(vigie_settings.model_copy(update={"basemap": "/nonexistent/x.pmtiles"}))
