"""hermelding.reader: one read-only door to a release (public by default), and short period codes."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from hermelding import publish as pub
from hermelding.periode import normalise_kwartaal, normalise_periode, vorige_periode
from hermelding.reader import PeriodeGelezen, ReleaseNotFound, open_release
from tests.conftest import kopieer_marts


@pytest.mark.parametrize(("kort", "cbs"), [
    ("2025KW3", "2025KW03"), ("2025kw03", "2025KW03"), (" 2025HJ1 ", "2025HJ01"), ("2025JJ", "2025JJ00"),
    ("2025JJ00", "2025JJ00"), ("2025MM1", "2025MM01"), ("2025MM11", "2025MM11")])
def test_short_period_codes_become_cbs_codes(kort, cbs):
    assert normalise_periode(kort) == cbs


@pytest.mark.parametrize("fout", ["2025KW5", "2025", "KW3", "2025HJ3", "2025XX01", "25KW3"])
def test_impossible_period_codes_are_refused_with_the_accepted_forms(fout):
    with pytest.raises(ValueError, match="2025KW3|numbered"):
        normalise_periode(fout)


def test_only_a_quarter_is_a_quarter():
    assert normalise_kwartaal("2025KW4") == "2025KW04"
    with pytest.raises(ValueError, match="not a quarter"):
        normalise_kwartaal("2025HJ1")


def test_previous_periods_cross_year_boundaries():
    assert vorige_periode("2025KW01") == "2024KW04"
    assert vorige_periode("2025KW03", 4) == "2024KW03"
    assert vorige_periode("2025HJ01") == "2024HJ02"
    assert vorige_periode("2025JJ00", 2) == "2023JJ00"


def test_current_release_shows_public_tables_only(demo_release):
    release = open_release(root=demo_release)
    info = json.loads((pub.releases_dir(demo_release) / release.release_id / "release.json").read_text())
    openbaar = {naam for naam, mart in info["marts"].items() if mart["map"] == "openbaar"}
    assert release.is_current and release.release_id == pub.current_release(demo_release)
    assert set(release.tables()) == openbaar and "melding_classificatie" not in release.tables()
    with pytest.raises(ReleaseNotFound, match="intern=True"):
        release.table("melding_classificatie")
    with pytest.raises(duckdb.CatalogException):
        release.sql("select * from melding_classificatie")
    intern = open_release(root=demo_release, intern=True)
    assert set(intern.tables()) == set(info["marts"])
    assert "rijen" not in info["marts"]["melding_classificatie"]  # an exact internal figure: not in public release.json
    assert len(intern.table("melding_classificatie")) == intern.info["marts"]["melding_classificatie"]["rijen"]


def test_tables_and_sql_agree_with_the_release_files(demo_release):
    with open_release(root=demo_release) as release:
        frame = release.table("hermelding_regio_periode_openbaar")
        assert len(frame) == release.info["marts"]["hermelding_regio_periode_openbaar"]["rijen"]
        kort = release.sql("select count(*) as n from hermelding_regio_periode_openbaar where periode = ?", ["2024KW03"])
        lang = release.sql("select count(*) as n from openbaar.hermelding_regio_periode_openbaar "
                           "where periode = '2024KW03'")
        assert kort.n.iloc[0] == lang.n.iloc[0] == (frame.periode == "2024KW03").sum() > 0
        kolommen = release.columns("hermelding_regio_periode_openbaar").set_index("kolom")
        assert "Wilson" in kolommen.loc["hermelding_pct_ci_onder", "beschrijving"]


def test_never_needs_the_warehouse_or_the_build(demo_release, tmp_path):
    kopie = kopieer_marts(demo_release, tmp_path)
    weg = kopie.with_overrides(warehouse=str(tmp_path / "geen" / "w.duckdb"), build_dir=str(tmp_path / "geen"))
    release = open_release(root=weg)
    assert release.sql("select count(*) from dim_gemeente").iloc[0, 0] > 0
    assert not (tmp_path / "geen").exists()


def test_a_quarter_opens_its_frozen_release_and_otherwise_says_it_is_not_frozen(demo_release, tmp_path):
    kopie = kopieer_marts(demo_release, tmp_path)
    origineel = pub.current_release(kopie)
    niet_bevroren = open_release(kwartaal="2025KW3", root=kopie)
    assert niet_bevroren.release_id == origineel and not niet_bevroren.is_frozen_for_asked_quarter
    with pytest.raises(ReleaseNotFound, match="No release is frozen for 2025KW03"):
        open_release(kwartaal="2025KW3", root=kopie, fallback=False)

    pub.freeze(kopie, "2025KW3")
    # a newer release becomes current: the frozen quarter must still open the frozen one
    nieuw = "29991231T000000000000Z"
    shutil.copytree(pub.releases_dir(kopie) / origineel, pub.releases_dir(kopie) / nieuw)
    info_pad = pub.releases_dir(kopie) / nieuw / "release.json"
    info = json.loads(info_pad.read_text())
    info.update(release_id=nieuw, vrijgegeven=False, iets_nieuws={"veld": 1})  # unknown fields are tolerated
    info_pad.write_text(json.dumps(info))
    pub.activate(kopie, nieuw)

    bevroren = open_release(kwartaal="2025KW03", root=kopie)
    assert bevroren.release_id == origineel and bevroren.frozen_for == ("2025KW03",)
    assert bevroren.is_frozen_for_asked_quarter and not bevroren.is_current
    huidig = open_release(root=kopie)
    assert huidig.release_id == nieuw and huidig.frozen_for == () and huidig.tables()
    assert open_release(release=origineel, root=kopie).release_id == origineel


def test_unknown_release_lists_the_existing_ones(demo_release):
    with pytest.raises(ReleaseNotFound, match=pub.current_release(demo_release)):
        open_release(release="20000101T000000000000Z", root=demo_release)
    with pytest.raises(ValueError, match="2025KW3"):
        open_release(kwartaal="2025Q3", root=demo_release)


def test_a_marts_folder_can_be_given_as_root(demo_release):
    assert open_release(root=demo_release.marts_dir).release_id == pub.current_release(demo_release)


def test_sql_cannot_reach_other_files_or_write(demo_release, tmp_path):
    release = open_release(root=demo_release)
    intern = open_release(root=demo_release, intern=True).file("melding_classificatie")
    for query in (f"select count(*) from read_parquet('{intern}')",
                  f"copy (select 1 as a) to '{tmp_path / 'uit.csv'}'",
                  "set enable_external_access = true"):
        with pytest.raises(duckdb.Error):
            release.sql(query)
    assert not (tmp_path / "uit.csv").exists()
    assert release.sql("select count(*) from dim_gemeente").iloc[0, 0] > 0


def test_sql_reads_short_period_codes_as_hermelding_sql_does(demo_release):
    """The trial's open_release().sql("... where periode='2025KW3'") returned 0 rows silently."""
    with open_release(root=demo_release) as release:
        cbs = release.sql("select periode from hermelding_regio_periode_openbaar where periodesoort = 'kwartaal' "
                          "order by periode desc limit 1").periode.iloc[0]
        kort = f"{cbs[:4]}kw{int(cbs[6:])}"  # e.g. '2025kw3'
        vraag = "select count(*) as n from hermelding_regio_periode_openbaar where periode = '{}'"
        with pytest.warns(PeriodeGelezen, match=f"'{kort}' read as '{cbs}'"):  # said, as `hermelding sql` does
            n = release.sql(vraag.format(kort)).n.iloc[0]
        assert n > 0 and n == release.sql(vraag.format(cbs)).n.iloc[0]
        # only whole literals are codes: a pattern is left as written
        assert release.sql(f"select count(*) as n from hermelding_regio_periode_openbaar "
                           f"where periode like '{cbs[:6]}%'").n.iloc[0] >= n
