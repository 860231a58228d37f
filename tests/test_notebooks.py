"""Every notebook runs top to bottom against a demo release; committed notebooks carry no outputs."""

from __future__ import annotations

import nbformat
import pytest

from tests.conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks_for_each_question():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("pad", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_has_no_outputs_and_reads_through_the_reader(pad):
    nb = nbformat.read(pad, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), f"{pad.name}: clear the outputs"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[-1].cell_type == "markdown"
    assert "Conclusies" in nb.cells[-1].source
    bron = "\n".join(c.source for c in code)
    assert "open_release(" in bron
    for verboden in ("duckdb.connect", "warehouse", "hermelding_build", "read_parquet"):
        assert verboden not in bron, f"{pad.name} must read releases only through hermelding.reader"


@pytest.mark.parametrize("pad", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_against_the_demo_release(pad, demo_release, monkeypatch):
    from nbclient import NotebookClient

    # the kernel inherits the environment: the notebook's open_release() finds the demo release
    monkeypatch.setenv("HERMELDING_ROOT", str(REPO))
    monkeypatch.setenv("HERMELDING_MARTS_DIR", str(demo_release.marts_dir))
    nb = nbformat.read(pad, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(pad.parent)}}).execute()
    tekst = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    from hermelding.publish import current_release

    assert f"Release {current_release(demo_release)}" in tekst  # it read the demo release, not another one
    if pad.stem.startswith("02"):
        # the region label is the region in the data, not the first municipality's region of the country
        from hermelding.reader import open_release

        release = open_release(root=demo_release)
        codes = set(release.table("herhaling_cohort_openbaar").query("regiotype == 'vt_regio'").regiocode)
        dim = release.table("dim_gemeente")
        namen = set(dim[dim.vt_regio.isin(codes)].vt_regionaam)
        assert len(namen) == 1 and f"regio {namen.pop()}" in tekst
        for ander in set(dim.vt_regionaam) - set(dim[dim.vt_regio.isin(codes)].vt_regionaam):
            assert f"regio {ander}\n" not in tekst, ander
    if pad.stem.startswith("03"):
        bron = "\n".join(c.source for c in nb.cells)
        # public by default: the internal marts are opened only after the reader sets INTERN = True
        assert "INTERN = False" in bron and "INTERN = False: alleen openbare tabellen" in tekst
        assert "Terugkijkperiode in deze classificatie" not in tekst
        # the look-back section describes the existing command and claims only what its output shows
        for fout in ("een volgende versie van de pijplijn", "te weinig hermeldingen", "veel lager", "ruim\n  tien"):
            assert fout not in bron + tekst, fout
        assert "hermelding gevoeligheid --lookback 12,24,36,0" in bron
        assert ("Er is geen opgeslagen vergelijking" in tekst) or ("Vergelijking " in tekst)
        # D4(a)'s size is the range the notebook prints from the release, not a fixed phrase
        assert "enkele procenten" not in bron
        from hermelding.reader import open_release

        ig = open_release(root=demo_release).table("intergenerationeel_regio_periode_openbaar")
        pct = ig.query("regiotype == 'vt_regio' and periodesoort == 'halfjaar'")["eerder_als_minderjarige_pct"].dropna()
        assert len(pct) > 0
        bereik = f"{pct.min():.1f}% tot {pct.max():.1f}%".replace(".", ",")
        assert f"D4(a) in de regio per halfjaar: {bereik}" in tekst


def test_report_and_every_notebook_are_dbt_exposures_of_the_marts_they_read():
    import re

    import yaml

    from hermelding import report

    exposures = yaml.safe_load((REPO / "dbt_project" / "models" / "exposures.yml").read_text())["exposures"]
    refs = {e["name"]: set(re.findall(r"ref\('(\w+)'\)", " ".join(e["depends_on"]))) for e in exposures}
    beschreven = " ".join(e["description"] for e in exposures)
    assert all(pad.name in beschreven for pad in NOTEBOOKS)
    assert {report.HERMELDING, report.COHORT, report.INTERGENERATIONEEL} <= refs["kwartaalrapport"]
    for pad in NOTEBOOKS:
        naam = next(e["name"] for e in exposures if pad.name in e["description"])
        bron = " ".join(c.source for c in nbformat.read(pad, as_version=4).cells if c.cell_type == "code")
        gelezen = set(re.findall(r"\b(\w+_openbaar|melding_classificatie|dim_gemeente)\b", bron))
        assert gelezen <= refs[naam], f"{pad.name} reads {gelezen - refs[naam]} without declaring it"
