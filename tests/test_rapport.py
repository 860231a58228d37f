"""The quarterly report: figures equal the public marts, Excel is typed, the HTML is offline and renders."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import date
from html import unescape

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from hermelding import publish as pub
from hermelding.cli import app
from hermelding.ingest import ingest
from hermelding.periode import parse_periode
from hermelding.reader import open_release
from hermelding.report import ONDERDRUKT, getal, make_report
from tests.conftest import REPO, kopieer_leveringen, kopieer_marts, project_config

KWARTAAL = "2025KW03"
SHEETS = {"Samenvatting", "D1 Hermelding", "D1 Trechter", "D2 Herhaalde melding", "D3 Recidive pleger",
          "D4a Intergenerationeel", "D4b Intergen. cohort", "Definities", "Definities naast elkaar", "Datakwaliteit",
          "D2 naar besluit"}


@pytest.fixture(scope="module")
def rapport(demo_release, tmp_path_factory):
    cfg = kopieer_marts(demo_release, tmp_path_factory.mktemp("rapport"))
    return cfg, make_report(cfg, "2025KW3")


def _public(cfg, query: str, parameters=None):
    with open_release(root=cfg) as release:
        return release.sql(query, parameters)


def _rows(ws) -> list[dict]:
    """A sheet as dicts by header (the header is the first row whose first cell is bold)."""
    rijen = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(ws.iter_rows()) if r[0].font.bold)
    kop = rijen[start]
    return [dict(zip(kop, r, strict=True)) for r in rijen[start + 1:]]


def test_report_lands_in_the_quarter_folder_from_the_current_release(rapport):
    cfg, res = rapport
    assert res.kwartaal == KWARTAAL and res.html.parent == cfg.marts_dir / "rapporten" / KWARTAAL
    assert res.html.is_file() and res.excel.is_file()
    assert res.release_id == pub.current_release(cfg) and not res.bevroren
    tekst = res.html.read_text(encoding="utf-8")
    assert "geen release" in tekst and "bevroren" in tekst and res.release_id in tekst


def test_headline_is_the_public_mart_figure_for_the_quarter(rapport):
    cfg, res = rapport
    mart = _public(cfg, "select * from hermelding_regio_periode_openbaar where regiotype = 'vt_regio' "
                        "and periode in (?, ?) order by periode", ["2024KW03", KWARTAAL])
    vorig, nu = mart.iloc[0], mart.iloc[1]
    samenvatting = {r["Onderwerp"]: r["Waarde"] for r in _rows(load_workbook(res.excel)["Samenvatting"])}
    assert samenvatting["Hermelding %"] == pytest.approx(nu.hermelding_pct)
    assert samenvatting["Meldingen (afgerond op 5)"] == nu.meldingen
    assert samenvatting["95%-interval ondergrens"] == pytest.approx(nu.hermelding_pct_ci_onder)
    assert samenvatting["Verschil (procentpunt)"] == pytest.approx(nu.hermelding_pct - vorig.hermelding_pct)
    tekst = res.html.read_text(encoding="utf-8")
    assert f"{getal(nu.hermelding_pct, 1)}%</span>hermelding in 3e kwartaal 2025" in tekst
    assert f"{getal(nu.meldingen)}</span>meldingen" in tekst


def test_excel_has_a_sheet_per_indicator_numbers_as_numbers_and_dots_where_suppressed(rapport):
    cfg, res = rapport
    wb = load_workbook(res.excel)
    assert SHEETS <= set(wb.sheetnames)
    mart = _public(cfg, "select regiocode, periode, meldingen, hermelding_pct from hermelding_regio_periode_openbaar")
    mart = {(r.regiocode, r.periode): r for r in mart.itertuples()}
    rijen = _rows(wb["D1 Hermelding"])
    assert {r["Kwartaal"] for r in rijen} == {f"{j}KW0{k}" for j, k in [(2023, 4)] + [(2024, k) for k in range(1, 5)]
                                             + [(2025, k) for k in range(1, 4)]}
    onderdrukt = getoond = 0
    for r in rijen:
        bron = mart[(r["Regiocode"], r["Kwartaal"])]
        if bron.hermelding_pct != bron.hermelding_pct:  # NaN: suppressed in the public mart
            assert r["Hermelding %"] == ONDERDRUKT
            onderdrukt += 1
        else:
            assert isinstance(r["Hermelding %"], int | float) and r["Hermelding %"] == pytest.approx(bron.hermelding_pct)
            getoond += 1
        assert isinstance(r["Meldingen"], int) or r["Meldingen"] == ONDERDRUKT
    assert onderdrukt and getoond  # the demo data has both, so both paths were checked
    cohort = _rows(wb["D2 Herhaalde melding"])
    assert any(r["Cumulatief %"] == ONDERDRUKT for r in cohort)
    assert all(isinstance(r["Cumulatief %"], int | float) for r in cohort if r["Cumulatief %"] != ONDERDRUKT)
    kwaliteit = _rows(wb["Datakwaliteit"])
    # per delivery its quarantined share as a number; exact row counts would give the region's exact totals
    assert kwaliteit and all(isinstance(r["Rijen in quarantaine (%)"], int | float) for r in kwaliteit)
    assert not any("geladen" in k for k in kwaliteit[0])
    definities = {r["Definitie"] for r in _rows(wb["Definities"])}
    assert {"eerdere_betrokkenheid", "herhaalde_melding", "recidive_pleger", "intergenerationeel"} <= definities
    # figures to one decimal as printed, not 0.8999999999999986 or 17.98502773917029
    getallen = [r[k] for r in _rows(wb["D1 Trechter"]) for k in r if "grens" in k]
    getallen.append(next(r["Waarde"] for r in _rows(wb["Samenvatting"]) if r["Onderwerp"] == "Verschil (procentpunt)"))
    getallen = [g for g in getallen if isinstance(g, float)]
    assert getallen and all(g == round(g, 1) for g in getallen)



def test_the_definitions_side_by_side_are_the_published_figures_of_one_region_and_year(rapport):
    """Issue 12, section 5: D1 (CBS), D2 at 12 and 24 months and D3 for the same region and year, each with one
    Dutch sentence, equal to the public marts; a line the release does not publish is '.' with its reason."""
    cfg, res = rapport
    rijen = _rows(load_workbook(res.excel)["Definities naast elkaar"])
    assert len({r["Periode"] for r in rijen}) == 1
    jaar = rijen[0]["Periode"]
    # the latest year whose D2 cohort has been followed for 24 months (data end 2025-12-31), not after the quarter
    assert jaar == "2023JJ00"
    d1 = _public(cfg, "select hermelding_pct from hermelding_regio_periode_openbaar where regiocode = 'VT02' "
                      "and periode = ?", [jaar]).hermelding_pct.iloc[0]
    cohort = _public(cfg, "select definitie_id, horizon_maanden, cumulatief_pct from herhaling_cohort_openbaar "
                          "where regiocode = 'VT02' and cohort_periode = ?", [jaar])
    verwacht = {rijen[0]["Definitie"]: d1}
    for r in cohort.itertuples():
        if r.definitie_id == "herhaalde_melding" and r.horizon_maanden in (12, 24):
            verwacht[f"Herhaalde melding na afsluiting (D2), {r.horizon_maanden} maanden"] = r.cumulatief_pct
        elif r.definitie_id == "recidive_pleger":
            verwacht[f"Recidive pleger (D3), {r.horizon_maanden} maanden"] = r.cumulatief_pct
    gezien = _public(cfg, "select eerder_gezien_pct from eerder_gezien_regio_periode_openbaar "
                          "where regiocode = 'VT02' and periode = ?", [jaar]).eerder_gezien_pct.iloc[0]
    verwacht["Gezinnen ooit eerder gezien"] = gezien
    gevonden = {r["Definitie"]: r["Percentage"] for r in rijen if r["Percentage"] != ONDERDRUKT}
    assert gevonden.keys() == verwacht.keys()
    for naam, pct in verwacht.items():
        assert gevonden[naam] == pytest.approx(pct), naam
    assert all(r["Wat telt"] and r["Wat telt"].endswith(".") for r in rijen)  # one sentence each
    assert all(r["Toelichting"] for r in rijen if r["Percentage"] == ONDERDRUKT)
    html = res.html.read_text(encoding="utf-8")
    assert "de definities naast elkaar" in html and getal(d1, 1) in html

def test_d2_by_besluit_sheet_and_section_show_the_public_breakdown(rapport):
    """Issue 12, section 5: D2 by besluit, equal to herhaling_besluit_openbaar for the region and its
    municipalities, '.' exactly where the public mart is empty, and a section in the HTML that says it shows
    association, not cause."""
    from hermelding.reference import codelijst_namen, d2_besluit_delen
    from hermelding.report import BESLUIT_ZIN

    cfg, res = rapport
    rijen = _rows(load_workbook(res.excel)["D2 naar besluit"])
    breed = _public(cfg, "select * from herhaling_besluit_openbaar where regiotype <> 'totaal' "
                         "and cast(left(cohort_periode, 4) as integer) <= 2025")
    namen = {naam: code for code, naam in codelijst_namen("besluit").items()}
    assert len(rijen) == 4 * len(breed) > 100
    sleutel = breed.set_index(["regiocode", "cohort_periode", "horizon_maanden"])
    punten = 0
    for r in rijen:
        bron = sleutel.loc[(r["Regiocode"], r["Cohort (jaar)"], r["Horizon (maanden)"])]
        code = namen[r["Besluit"]]
        for kop, kolom in (("Afgesloten casussen", f"cohort_omvang_{code}"),
                           ("Opnieuw gemeld", f"aantal_gebeurtenissen_{code}"), ("Opnieuw gemeld %", f"cumulatief_pct_{code}"),
                           ("95%-interval bovengrens", f"cumulatief_pct_{code}_ci_boven")):
            if pd.isna(bron[kolom]):  # empty in the public mart
                assert r[kop] == ONDERDRUKT, kop
                punten += 1
            else:
                assert isinstance(r[kop], int | float) and r[kop] == pytest.approx(float(bron[kolom])), kop
    assert punten > 0  # suppressed parts exist on the demo and are shown as "."
    html = res.html.read_text(encoding="utf-8")
    assert "naar besluit van Veilig Thuis" in html and BESLUIT_ZIN in html
    assert all(codelijst_namen("besluit")[code] in html for code in d2_besluit_delen())


def test_funnel_limits_surround_the_regional_percentage(rapport):
    _cfg, res = rapport
    wb = load_workbook(res.excel)
    regio = {r["Onderwerp"]: r["Waarde"] for r in _rows(wb["Samenvatting"])}["Hermelding %"]
    for r in _rows(wb["D1 Trechter"]):
        if r["Meldingen"] == ONDERDRUKT:
            continue
        assert r["99,8%-grens onder"] <= r["95%-grens onder"] <= regio <= r["95%-grens boven"] <= r["99,8%-grens boven"]
        if r["Hermelding %"] != ONDERDRUKT and r["95%-grens onder"] <= r["Hermelding %"] <= r["95%-grens boven"]:
            assert r["Oordeel"] == "past bij de regio"


def test_periods_without_a_full_lookback_are_marked(demo_release, tmp_path):
    cfg = kopieer_marts(demo_release, tmp_path)
    res = make_report(cfg, "2022KW2")
    release = open_release(root=cfg)
    begin = min(parse_periode(i["periode"]).start for i in release.info["invoer"])
    maand = begin.year * 12 + begin.month - 1 + cfg.lookback_maanden  # D1's look-back, 36 months
    volledig_vanaf = date(maand // 12, maand % 12 + 1, 1)
    rijen = _rows(load_workbook(res.excel)["D1 Hermelding"])
    assert {r["Volledige terugkijkperiode"] for r in rijen} == {"ja", "nee"}
    for r in rijen:
        assert (r["Volledige terugkijkperiode"] == "ja") == (parse_periode(r["Kwartaal"]).start >= volledig_vanaf)
    tekst = res.html.read_text(encoding="utf-8")
    assert "†" in tekst and f"{volledig_vanaf:%d-%m-%Y}" in tekst


def test_html_is_self_contained(rapport):
    _cfg, res = rapport
    tekst = res.html.read_text(encoding="utf-8")
    bronnen = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', tekst)
    assert all(b.startswith("data:image/png;base64,") for b in bronnen) and len(bronnen) >= 6
    assert not re.search(r"https?://|<link\b|@import|url\(", tekst)
    assert '<html lang="nl">' in tekst and "@media print" in tekst


def _browser() -> str | None:
    for naam in ("chromium", "chromium-browser", "google-chrome"):
        if pad := shutil.which(naam):
            return pad
    return None


def test_html_renders_in_headless_chromium_with_every_chart_loaded(rapport, tmp_path):
    _cfg, res = rapport
    browser = _browser()
    if browser is None:
        reden = "no chromium on this machine (Debian: apt-get install chromium); .ci/run installs it"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must render the report: {reden}")
        pytest.skip(reden)
    vlaggen = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
    url = res.html.resolve().as_uri()
    dom = subprocess.run([browser, *vlaggen, f"--user-data-dir={tmp_path / 'profiel1'}", "--virtual-time-budget=10000",
                          "--dump-dom", url], capture_output=True, text=True, timeout=180, check=True).stdout
    beelden = len(re.findall(r"<img\b", res.html.read_text(encoding="utf-8")))
    geladen = re.search(r'<body[^>]*data-grafieken="(\d+)/(\d+)"', dom)
    assert geladen, "the page's load script did not run"
    assert int(geladen[1]) == int(geladen[2]) == beelden >= 6

    schermafdruk = tmp_path / "rapport.png"
    subprocess.run([browser, *vlaggen, f"--user-data-dir={tmp_path / 'profiel2'}", "--window-size=1100,2400",
                    f"--screenshot={schermafdruk}", url], capture_output=True, timeout=180, check=True)
    from PIL import Image

    with Image.open(schermafdruk) as beeld:
        grijs = beeld.convert("L")
        donker = sum(grijs.histogram()[:128]) / (grijs.width * grijs.height)
    assert grijs.width == 1100 and 0.01 < donker < 0.5  # text and charts drawn, not a blank or black page
    pdf = tmp_path / "rapport.pdf"  # printable: the browser's print to PDF gives an A4 document of several pages
    subprocess.run([browser, *vlaggen, f"--user-data-dir={tmp_path / 'profiel3'}", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", url], capture_output=True, timeout=180, check=True)
    inhoud = pdf.read_bytes()
    assert inhoud.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", inhoud)) >= 3
    bewaard = REPO / "build" / "schermafdrukken"  # kept for people and CI artefacts (build/ is not committed)
    bewaard.mkdir(parents=True, exist_ok=True)
    shutil.copy(schermafdruk, bewaard / f"rapport_{KWARTAAL}.png")


def test_report_from_the_frozen_release_when_a_newer_one_is_current(demo_release, tmp_path):
    cfg = kopieer_marts(demo_release, tmp_path)
    bevroren = pub.freeze(cfg, KWARTAAL)
    nieuw = "29991231T000000000000Z"
    shutil.copytree(pub.releases_dir(cfg) / bevroren, pub.releases_dir(cfg) / nieuw)
    info_pad = pub.releases_dir(cfg) / nieuw / "release.json"
    info_pad.write_text(json.dumps(json.loads(info_pad.read_text()) | {"release_id": nieuw}))
    pub.activate(cfg, nieuw)
    res = make_report(cfg, "2025KW3")
    assert res.bevroren and res.release_id == bevroren
    tekst = res.html.read_text(encoding="utf-8")
    assert "<b>bevroren</b>" in tekst and bevroren in tekst and nieuw not in tekst
    ander = make_report(cfg, "2025KW2")
    assert not ander.bevroren and ander.release_id == nieuw


def test_command_line_prints_the_paths_and_refuses_a_bad_quarter(demo_release, tmp_path, monkeypatch):
    cfg = kopieer_marts(demo_release, tmp_path)
    monkeypatch.setenv("HERMELDING_ROOT", str(REPO))
    monkeypatch.setenv("HERMELDING_MARTS_DIR", str(cfg.marts_dir))
    runner = CliRunner()
    goed = runner.invoke(app, ["rapport", "--kwartaal", "2025KW3"], env={"COLUMNS": "300"})
    assert goed.exit_code == 0, goed.output
    assert goed.output.strip().splitlines()[-1].endswith(f"rapporten/{KWARTAAL}/hermelding_VT02_{KWARTAAL}.html")
    standaard = runner.invoke(app, ["rapport"], env={"COLUMNS": "300"})
    laatste = _public(cfg, "select max(periode) from hermelding_regio_periode_openbaar where regiotype = 'vt_regio' "
                           "and periodesoort = 'kwartaal' and periode_compleet").iloc[0, 0]
    assert standaard.exit_code == 0 and f"/{laatste}/" in standaard.output
    for fout in ("2025KW5", "2010KW1"):
        slecht = runner.invoke(app, ["rapport", "--kwartaal", fout])
        assert slecht.exit_code == 2 and "Traceback" not in slecht.output


def test_release_json_counts_loaded_and_quarantined_rows_per_delivery(fouten_set, tmp_path):
    bron, _ = fouten_set
    cfg = project_config(tmp_path)
    kopieer_leveringen(bron, cfg)
    ingest(cfg)
    invoer = pub._inputs(cfg)
    with duckdb.connect(str(cfg.warehouse), read_only=True) as con:
        verwacht = dict((r[0], (r[1], r[2])) for r in con.execute(
            "select levering_id, sum(rijen_geladen), sum(rijen_quarantaine) from ingest.leveringsbestanden "
            "group by levering_id").fetchall())
    assert invoer and all((i["rijen_geladen"], i["rijen_quarantaine"]) == verwacht[i["levering_id"]] for i in invoer)
    assert any(i["rijen_quarantaine"] > 0 for i in invoer)


def test_report_needs_no_internal_table(demo_release, tmp_path):
    cfg = kopieer_marts(demo_release, tmp_path)
    release = open_release(root=cfg, intern=True)
    for naam in release.tables():
        if release.info["marts"][naam]["map"] != "openbaar":
            release.file(naam).unlink()
    res = make_report(cfg, "2025KW3")
    assert res.html.is_file() and res.excel.is_file()


@pytest.mark.parametrize("start", ["afsluiting", "melding"])
def test_d3_text_follows_the_configured_clock_start_everywhere(rapport, start):
    """D3's cohort is described from recidive_pleger_start (hermelding.toml) in the D3 section, the definitions and
    the side-by-side table; not as the other variant anywhere."""
    from hermelding.report import D3_COHORT, collect, d3_cohort, render_html

    cfg, _ = rapport
    with open_release(root=cfg) as release:
        data = collect(release, "2025KW3", None, start)
        html = unescape(render_html(data, {k: "" for k in ("trend", "gemeenten", "trechter", "d2", "d3", "d4")}))
    wie, klok = d3_cohort(start, "een halfjaar")
    assert wie in html and klok in html
    ander = next(v for v in D3_COHORT if v != start)
    assert d3_cohort(ander, "een halfjaar")[0] not in html
    d3 = data.naast_elkaar[data.naast_elkaar.regel.str.startswith("Recidive pleger")]
    assert len(d3) and d3.definitie.str.contains(d3_cohort(start, data.naast_elkaar.periode.iloc[0][:4])[0]).all()


def test_report_d3_text_is_the_definition_the_release_was_built_with(rapport, monkeypatch):
    """The release records where D3's clock started (dim_definitie.startpunt); a report on it describes that,
    also after hermelding.toml has been changed since."""
    from hermelding import report
    from hermelding.report import D3_COHORT, collect, d3_cohort

    cfg, res = rapport
    assert d3_cohort(cfg.recidive_pleger_start, "een halfjaar")[0] in unescape(res.html.read_text(encoding="utf-8"))
    ander = next(v for v in D3_COHORT if v != cfg.recidive_pleger_start)
    monkeypatch.setattr(report, "load_config", lambda *a, **k: cfg.with_overrides(recidive_pleger_start=ander))
    with open_release(root=cfg) as release:
        assert release.sql("select startpunt from dim_definitie where definitie_id = 'recidive_pleger'").iloc[0, 0] \
            == cfg.recidive_pleger_start
        assert collect(release, "2025KW3").recidive_pleger_start == cfg.recidive_pleger_start


def test_report_says_percentages_come_from_the_published_rounded_counts(rapport):
    """docs/openbaarmaking.md rule 7: every ratio is computed from the rounded, shown counts, never the exact ones."""
    tekst = " ".join(unescape(rapport[1].html.read_text(encoding="utf-8")).split())
    assert "berekend op de exacte aantallen" not in tekst
    assert "berekend uit de gepubliceerde, afgeronde aantallen" in tekst


def test_the_first_quarter_of_the_data_gives_a_report_that_says_cohorts_are_missing(demo_release, tmp_path,
                                                                                     monkeypatch):
    """The trial's `hermelding rapport --kwartaal 2019KW1` died with INTERNAL ERROR (NaN to int): a quarter before
    the first half-year cohort must give a report that says what is missing."""
    cfg = kopieer_marts(demo_release, tmp_path)
    eerste = _public(cfg, "select min(periode) as p from hermelding_regio_periode_openbaar "
                          "where periodesoort = 'kwartaal'").p.iloc[0]
    monkeypatch.setenv("HERMELDING_ROOT", str(REPO))
    monkeypatch.setenv("HERMELDING_MARTS_DIR", str(cfg.marts_dir))
    uit = CliRunner().invoke(app, ["rapport", "--kwartaal", eerste])
    assert uit.exit_code == 0, uit.output
    assert "INTERNAL ERROR" not in uit.output
    res = make_report(cfg, eerste)
    tekst = unescape(res.html.read_text(encoding="utf-8"))
    assert tekst.count("Nog geen cijfers: een cohort telt mee zodra het halfjaar voorbij is") >= 2  # D2, D3 (D4b)


def test_empty_cell_explanation_names_exactly_the_flags_the_public_tables_carry(rapport):
    """The public *_vlag columns carry 'onderdrukt' or 'niet_openbaar' only; the report and docs/sql.md explain
    those, not the internal reasons (primair, secundair, afgeleid)."""
    from hermelding.report import VLAGGEN

    cfg, res = rapport
    with open_release(root=cfg) as release:
        vlaggen = set()
        for tabel in release.tables():
            kolommen = [k for k in release.table(tabel).columns if k.endswith("_vlag")]
            for k in kolommen:
                vlaggen |= set(release.sql(f'select distinct "{k}" as v from {tabel} where "{k}" is not null').v)
    assert vlaggen and vlaggen <= set(VLAGGEN)
    tekst = unescape(res.html.read_text(encoding="utf-8")) + (REPO / "docs" / "sql.md").read_text(encoding="utf-8")
    for intern in ("primair", "secundair", "afgeleid"):
        assert f"`{intern}`" not in tekst and f"<b>{intern}</b>" not in tekst
    assert all(f"<b>{v}</b>" in tekst for v in VLAGGEN)


def test_cohort_tables_show_each_percentage_with_its_interval(rapport):
    """docs/rapport.md promises D2 and D3 by horizon 'met interval': each shown percentage carries its 95% interval."""
    from hermelding.report import interval

    cfg, res = rapport
    html = " ".join(unescape(res.html.read_text(encoding="utf-8")).split())
    c = _public(cfg, """select definitie_id, cohort_periode, cumulatief_pct, cumulatief_pct_ci_onder, cumulatief_pct_ci_boven
                        from herhaling_cohort_openbaar where regiotype = 'vt_regio' and cumulatief_pct is not null
                        and periodesoort = 'halfjaar' and cohort_periode <= '2025HJ01'""")
    for definitie in ("herhaalde_melding", "recidive_pleger"):
        r = c[c.definitie_id == definitie].sort_values("cohort_periode").iloc[-1]
        assert f"{getal(r.cumulatief_pct, 1)} ({interval(r.cumulatief_pct_ci_onder, r.cumulatief_pct_ci_boven)})" in html
