"""The definitions in dbt, checked against independent implementations: D1 against the generator's
planted ground truth (pandas), Kaplan-Meier against lifelines; plus documentation and completeness."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from hermelding.build import build, dbt
from hermelding.generator import grondwaarheid
from hermelding.ingest import ingest
from tests.conftest import geleverd, kopieer_leveringen, project_config, query


@pytest.fixture(scope="module")
def gebouwd(demo_gebouwd):
    """The demo build (config, build database, generator result), shared with the demo release: read-only."""
    return demo_gebouwd


def _geleverd(cfg):
    """The delivered data as the generator's ground-truth function wants it (casus state of its latest delivery)."""
    m, c, b = geleverd(cfg, "meldingen"), geleverd(cfg, "casussen"), geleverd(cfg, "betrokkenen")
    c = c.sort_values("levering").drop_duplicates("casus_id", keep="last")
    for kolom in ("datum_start", "datum_veiligheidsbeoordeling", "datum_start_monitoring", "datum_afsluiting"):
        c[kolom] = pd.to_datetime(c[kolom].replace("", None))
    m["datum_melding"] = pd.to_datetime(m["datum_melding"])
    return m, c[["casus_id", "datum_start", "datum_veiligheidsbeoordeling", "datum_start_monitoring", "datum_afsluiting"]], b


def _vergelijk(sql_klassen: pd.DataFrame, verwacht: pd.DataFrame):
    samen = verwacht.merge(sql_klassen, on="melding_id", how="outer", suffixes=("_verwacht", ""), indicator=True)
    assert (samen["_merge"] == "both").all(), samen["_merge"].value_counts()
    for kolom in ("klasse", "subklasse", "reden"):
        verschil = samen[samen[kolom].fillna("") != samen[f"{kolom}_verwacht"].fillna("")]
        assert verschil.empty, verschil.head(10)


def test_d1_equals_the_planted_ground_truth_for_every_melding(gebouwd):
    _cfg, db, res = gebouwd
    sql = query(db, "select melding_id, klasse, subklasse, reden from marts.melding_classificatie")
    verwacht = pd.read_csv(res.grondwaarheid, dtype=str, keep_default_na=False)
    assert len(sql) == len(verwacht) == res.aantal_meldingen
    assert set(verwacht.klasse) == {"eerste_melding", "hermelding", "vervolgmelding", "niet_ingedeeld"}
    _vergelijk(sql, verwacht)


def test_d1_lookback_is_a_parameter(gebouwd, tmp_path):
    cfg, _, _ = gebouwd
    doel = tmp_path / "lookback12.duckdb"
    build(cfg, doel=doel, vars_={"lookback_maanden": 12})
    sql = query(doel, "select melding_id, klasse, subklasse, reden, lookback_maanden from marts.melding_classificatie")
    assert set(sql.lookback_maanden) == {12}
    m, c, b = _geleverd(cfg)
    _vergelijk(sql.drop(columns="lookback_maanden"), grondwaarheid(m, c, b, 12))
    mart = query(doel, "select distinct lookback_maanden from marts.hermelding_regio_periode")
    assert mart.lookback_maanden.tolist() == [12]


def test_every_municipality_and_period_is_present_and_complete(gebouwd):
    _, db, _ = gebouwd
    h = query(db, "select * from marts.hermelding_regio_periode")
    gemeenten = h[h.regiotype == "gemeente"]
    assert gemeenten.regiocode.nunique() == 12
    assert len(gemeenten) == 12 * (7 * 4 + 7 * 2 + 7)
    assert h.periode_compleet.all()
    assert (h[h.regiotype == "gemeente"].inwoners > 0).all()


def test_incomplete_period_is_marked(schone_set, tmp_path):
    bron, _ = schone_set
    cfg = project_config(tmp_path)
    kopieer_leveringen(bron, cfg, {"VT02_2019HJ01"})
    ingest(cfg)
    db = build(cfg).build_db
    compleet = query(db, "select periode, bool_and(periode_compleet) c from marts.hermelding_regio_periode group by 1")
    compleet = dict(zip(compleet.periode, compleet.c, strict=True))
    assert compleet["2019KW01"] and compleet["2019HJ01"]
    assert not compleet["2019JJ00"] and not compleet["2019HJ02"] and not compleet["2019KW03"]


def test_kaplan_meier_matches_lifelines(gebouwd):
    _, db, _ = gebouwd
    subjecten = query(db, "select * from intermediate.int_herhaalde_melding union all "
                          "select * from intermediate.int_recidive_pleger union all "
                          "select * from intermediate.int_intergenerationeel_minderjarigen")
    cohort = query(db, "select * from marts.herhaling_cohort where regiotype in ('gemeente', 'vt_regio')")
    subjecten_vt = subjecten.assign(regiocode=subjecten.regio)
    subjecten_gm = subjecten.assign(regiocode=subjecten.gemeentecode)
    gecontroleerd = 0
    for (definitie, regiocode, periode), groep in cohort.groupby(["definitie_id", "regiocode", "cohort_periode"]):
        if gecontroleerd > 40 and not regiocode.startswith("VT"):
            continue
        bron = subjecten_vt if regiocode.startswith("VT") else subjecten_gm
        s = bron[(bron.definitie_id == definitie) & (bron.regiocode == regiocode) & (bron.periode == periode)]
        assert len(s) == groep.cohort_omvang.iloc[0]
        kmf = KaplanMeierFitter().fit(s.tijd_dagen, s.gebeurtenis)
        for r in groep.itertuples():
            verwacht = 100 * (1 - kmf.survival_function_at_times(r.horizon_dagen).iloc[0])
            assert r.cumulatief_pct == pytest.approx(verwacht, abs=1e-7)
            ci = kmf.confidence_interval_survival_function_
            rij = ci[ci.index <= r.horizon_dagen].iloc[-1]
            if 0 < verwacht < 100:
                assert r.cumulatief_pct_ci_onder == pytest.approx(100 * (1 - rij.iloc[1]), abs=1e-6)
                assert r.cumulatief_pct_ci_boven == pytest.approx(100 * (1 - rij.iloc[0]), abs=1e-6)
            assert r.aantal_at_risk == (s.tijd_dagen >= r.horizon_dagen).sum()
        gecontroleerd += 1
    assert gecontroleerd > 40



def test_kaplan_meier_curve_is_the_step_function_lifelines_gives(gebouwd):
    """herhaling_curve: every time at which someone had the event or was censored, with lifelines' numbers at
    risk, events, censorings, survival and interval; herhaling_curve_maand reads it at every whole month."""
    _, db, _ = gebouwd
    subjecten = query(db, "select * from intermediate.int_herhaalde_melding union all "
                          "select * from intermediate.int_recidive_pleger")
    curve = query(db, "select * from marts.herhaling_curve where regiotype = 'vt_regio' "
                      "and definitie_id <> 'intergenerationeel'")
    maand = query(db, "select * from marts.herhaling_curve_maand where regiotype = 'vt_regio'")
    gecontroleerd = 0
    for (definitie, periode), groep in curve.groupby(["definitie_id", "cohort_periode"]):
        s = subjecten[(subjecten.definitie_id == definitie) & (subjecten.periode == periode)]
        kmf = KaplanMeierFitter().fit(s.tijd_dagen, s.gebeurtenis)
        tabel = kmf.event_table[kmf.event_table.removed > 0]
        groep = groep.sort_values("tijd_dagen")
        assert groep.tijd_dagen.tolist() == tabel.index.astype(int).tolist()
        assert groep.aantal_at_risk.tolist() == tabel.at_risk.tolist()
        assert groep.aantal_gebeurtenissen.tolist() == tabel.observed.tolist()
        assert groep.aantal_gecensureerd.tolist() == tabel.censored.tolist()
        verwacht = kmf.survival_function_.loc[tabel.index].iloc[:, 0].to_numpy()
        assert np.allclose(groep.overleving, verwacht, atol=1e-9)
        ci = kmf.confidence_interval_survival_function_.loc[tabel.index]
        binnen = (verwacht > 0) & (verwacht < 1)
        assert np.allclose(groep.cumulatief_pct_ci_onder[binnen], 100 * (1 - ci.iloc[:, 1].to_numpy()[binnen]), atol=1e-6)
        assert np.allclose(groep.cumulatief_pct_ci_boven[binnen], 100 * (1 - ci.iloc[:, 0].to_numpy()[binnen]), atol=1e-6)
        # the monthly curve: every month up to the longest horizon, the step function read at that day
        m = maand[(maand.definitie_id == definitie) & (maand.cohort_periode == periode)].sort_values("horizon_maanden")
        assert m.horizon_maanden.tolist() == list(range(1, 25))
        assert np.allclose(m.cumulatief_pct, 100 * (1 - kmf.survival_function_at_times(m.horizon_dagen).to_numpy()),
                           atol=1e-7)
        assert m.aantal_at_risk.tolist() == [int((s.tijd_dagen >= d).sum()) for d in m.horizon_dagen]
        gecontroleerd += 1
    assert gecontroleerd >= 2 * 21


def test_the_public_monthly_curve_is_protected_once_with_the_cohort_table(gebouwd):
    """The public monthly curve repeats herhaling_cohort_openbaar's D2 and D3 cells at the configured horizons:
    one statistic, published identically in both, and the attacker audit over every public table together finds
    no pinned or under-protected cell and no ratio beyond the published counts."""
    from hermelding import audit

    cfg, db, _ = gebouwd
    sleutel = ["definitie_id", "regiotype", "regiocode", "cohort_periode", "horizon_maanden"]
    maand = query(db, "select * from openbaar.herhaling_curve_maand_openbaar")
    cohort = query(db, "select * from openbaar.herhaling_cohort_openbaar where definitie_id <> 'intergenerationeel'")
    samen = cohort.merge(maand, on=sleutel, how="left", suffixes=("", "_maand"), indicator=True)
    assert len(samen) > 0 and (samen["_merge"] == "both").all()
    for kolom in ("cohort_omvang", "aantal_gebeurtenissen", "cumulatief_pct", "cumulatief_pct_ci_onder", "publiceerbaar"):
        a, b = samen[kolom].astype(float), samen[f"{kolom}_maand"].astype(float)
        assert ((a == b) | (a.isna() & b.isna())).all(), kolom
    # a percentage only where the whole cohort has been followed that long and enough remain at risk
    getoond = maand[maand.cumulatief_pct.notna()]
    assert len(getoond) > 0 and getoond.publiceerbaar.astype(bool).all()
    assert (getoond.cohort_omvang - getoond.aantal_gebeurtenissen >= 20).all()
    assert (getoond.cumulatief_pct == (100 * getoond.aantal_gebeurtenissen / getoond.cohort_omvang).round(1)).all()
    assert maand[~maand.volledige_followup.astype(bool)].cumulatief_pct.isna().all()
    with audit._connect(cfg, db) as con:
        cellen, verhoudingen, cijfers = audit.aanvalsaudit(con, int(cfg.afronding), int(cfg.minimum_telling))
    assert (cellen["mart"] == "herhaling_curve_maand").any()
    assert cijfers["vastgepind"] == 0 and cijfers["te_smal"] == 0 and cijfers["relaties_geschonden"] == 0
    assert verhoudingen["afwijkend"].sum() == 0

def test_rates_and_intervals_are_consistent(gebouwd):
    _, db, _ = gebouwd
    h = query(db, "select * from marts.hermelding_regio_periode where meldingen > 0")
    assert np.allclose(h.hermelding_pct, 100 * h.hermelding / h.meldingen)
    assert (h.hermelding_pct_ci_onder <= h.hermelding_pct).all() and (h.hermelding_pct <= h.hermelding_pct_ci_boven).all()
    i = query(db, "select * from marts.intergenerationeel_regio_periode where regiotype = 'vt_regio'")
    assert (i.eerder_als_minderjarige <= i.volwassen_personen).all()
    assert (i.eerder_als_minderjarige.sum() > 0) and (i.uitgesloten_onbekend_geboortejaar > 0).all()


def test_every_mart_row_names_its_definition_and_parameters(gebouwd):
    _, db, _ = gebouwd
    for mart in ("hermelding_regio_periode", "herhaling_cohort", "intergenerationeel_regio_periode", "melding_classificatie"):
        rijen = query(db, f"select definitie_id, definitie_versie from marts.{mart}")
        assert rijen.notna().all().all() and len(rijen) > 0
    d = query(db, "select * from dimensies.dim_definitie")
    assert dict(zip(d.definitie_id, d.parameterwaarden, strict=True))["eerdere_betrokkenheid"] == "36"


def test_dbt_docs_document_every_model_and_column(gebouwd):
    cfg, db, _ = gebouwd
    res = dbt(cfg, ["docs", "generate"], db)
    assert res.success
    target = cfg.dbt_target_dir
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    ontbrekend = []
    for sleutel, node in catalog["nodes"].items():
        if not sleutel.startswith("model."):
            continue
        gedocumenteerd = manifest["nodes"][sleutel]
        if not gedocumenteerd["description"]:
            ontbrekend.append(sleutel)
        ontbrekend.extend(f"{sleutel}.{kolom}" for kolom in node["columns"]
                          if not gedocumenteerd["columns"].get(kolom, {}).get("description"))
    assert not ontbrekend
    assert len([k for k in catalog["nodes"] if k.startswith("model.")]) >= 15


def test_disclosure_thresholds_reach_the_public_marts_as_parameters(gebouwd, tmp_path):
    cfg, standaard_db, _ = gebouwd
    doel = tmp_path / "streng.duckdb"
    # a relation left by an earlier build (a model since removed or moved) must not survive into the next one
    with duckdb.connect(str(doel)) as con:
        con.execute("create schema marts; create table marts.verdwenen_model as select 1 as x")
    build(cfg, doel=doel, vars_={"afronding": 10, "minimum_telling": 50})
    assert query(doel, "select count(*) n from information_schema.tables where table_name = 'verdwenen_model'").n[0] == 0
    kolommen = "meldingen, hermelding, vervolgmelding, niet_ingedeeld"
    for db, stap, minimum in ((standaard_db, 5, 10), (doel, 10, 50)):
        lang = query(db, f"unpivot (select {kolommen} from openbaar.hermelding_regio_periode_openbaar) "
                         f"on {kolommen} into name kolom value waarde")
        assert len(lang) > 0 and (lang.waarde % stap == 0).all() and (lang.waarde >= minimum).all()
    assert (query(doel, "select count(*) n from openbaar.hermelding_regio_periode_openbaar where hermelding is null").n[0]
            > query(standaard_db, "select count(*) n from openbaar.hermelding_regio_periode_openbaar "
                                  "where hermelding is null").n[0])


def test_dbt_var_defaults_equal_the_configuration():
    """hermelding.toml is the one home of the parameters; the dbt defaults (for running dbt by hand) mirror it."""
    import yaml

    from hermelding.build import dbt_vars
    from hermelding.config import load_config
    from tests.conftest import REPO

    standaard = yaml.safe_load((REPO / "dbt_project" / "dbt_project.yml").read_text())["vars"]
    structuur = standaard.pop("d1_tellingen")  # the structure of D1's counts, not a parameter
    besluiten = standaard.pop("d2_besluit_delen")  # the besluit codes D2's breakdown shows: structure too
    assert structuur and besluiten and dbt_vars(load_config(REPO)) == standaard


# --- D1's count columns: one list, read by SQL and Python -------------------------------------------

D1_ALLEEN_IN_LIJSTEN = ("hermelding_een_bekend", "hermelding_meerdere_bekend", "vervolg_tijdens_vb",
                        "vervolg_na_vb", "vervolg_tijdens_monitoring")


def test_d1_count_columns_are_written_once():
    """The subclass count columns appear nowhere in code but in the one list (var d1_tellingen); a copy of
    the list in a model, a dbt test, a macro or Python makes this fail."""
    from tests.conftest import REPO

    bestanden = [*(REPO / "dbt_project").glob("models/**/*.sql"), *(REPO / "dbt_project").glob("models/**/*.py"),
                 *(REPO / "dbt_project").glob("tests/**/*.sql"), *(REPO / "dbt_project").glob("macros/**/*.sql"),
                 *(REPO / "hermelding").glob("**/*.py")]
    assert len(bestanden) > 20
    kopieen = [(pad.relative_to(REPO), kolom) for pad in bestanden for kolom in D1_ALLEEN_IN_LIJSTEN
               if kolom in pad.read_text(encoding="utf-8")]
    assert not kopieen


def test_d1_count_list_is_what_the_mart_and_the_disclosure_engine_use(gebouwd):
    """SQL and Python read the same list: the mart has exactly these count columns in this order, each total
    equals the sum of its parts, and the disclosure engine protects the same columns and groups."""
    import yaml

    from hermelding.disclosure import SPECIFICATIES
    from tests.conftest import REPO

    _, db, _ = gebouwd
    lijst = yaml.safe_load((REPO / "dbt_project" / "dbt_project.yml").read_text())["vars"]["d1_tellingen"]
    kolommen = [t["kolom"] for t in lijst]
    mart = query(db, "select * from marts.hermelding_regio_periode")
    # every count column of the mart (its integers, but the population and the look-back) and no other
    telkolommen = [k for k in mart.select_dtypes("integer").columns if k not in ("inwoners", "lookback_maanden")]
    assert telkolommen == kolommen
    spec = SPECIFICATIES["hermelding_regio_periode"]
    assert list(spec.tellingen) == kolommen
    delen = {t["kolom"]: t.get("deel_van") for t in lijst}
    assert {(totaal, deel) for totaal, onderdelen in spec.rij_groepen for deel in onderdelen} == \
        {(totaal, deel) for deel, totaal in delen.items() if totaal}
    for totaal, onderdelen in spec.rij_groepen:
        assert (mart[totaal] == mart[list(onderdelen)].sum(axis=1)).all(), totaal
    # each class and subclass named in the list is one the classification produces
    klassen = query(db, "select distinct klasse, subklasse from marts.melding_classificatie")
    for telling in lijst:
        if telling.get("klasse"):
            assert telling["klasse"] in set(klassen.klasse), telling
        if telling.get("subklasse"):
            assert telling["subklasse"] in set(klassen.subklasse.dropna()), telling


# --- disclosure of the demo release (issue 9): the attacker audit on the frames that will be published ---


def test_the_attacker_finds_nothing_in_the_demo_release(gebouwd):
    """All public tables together, rounding bounds, every relation, LP: no suppressed cell pinned, every
    primary cell's interval reaches 10 and is 10 wide, every ratio a function of the published counts."""
    from hermelding.audit import aanvalsaudit
    from hermelding.disclosure import SPECIFICATIES

    _, db, _ = gebouwd
    with duckdb.connect(str(db), read_only=True) as con:
        cellen, verhoudingen, cijfers = aanvalsaudit(con, 5, 10)
    assert cijfers["cellen_gecontroleerd"] > 1000 and cijfers["primair"] > 500
    # every public table is in it, D2 by besluit too (its suppressed parts are checked with the cohort tables)
    assert set(SPECIFICATIES) <= set(cellen["mart"]) and "herhaling_besluit" in SPECIFICATIES
    assert cijfers["vastgepind"] == 0 and cijfers["te_smal"] == 0 and cijfers["relaties_geschonden"] == 0
    assert cijfers["smalste_interval_primair"] >= 10
    assert cellen["waarheid_binnen"].all()
    assert cijfers["verhoudingen_gecontroleerd"] > 1000 and (verhoudingen["afwijkend"] == 0).all()


def test_the_attacker_audit_refuses_a_leaky_release(gebouwd, tmp_path):
    """Reveal every suppressed D1 cell but one primary cell, and publish one exact percentage: both are
    found."""
    import shutil

    from hermelding.audit import aanvalsaudit

    _, db, _ = gebouwd
    kopie = tmp_path / "lek.duckdb"
    shutil.copy(db, kopie)
    with duckdb.connect(str(kopie)) as con:
        regio, periode = con.execute("""
            select o.regiocode, o.periode from openbaar.hermelding_regio_periode_openbaar as o
            inner join marts.hermelding_regio_periode as i on o.regiocode = i.regiocode and o.periode = i.periode
            where o.regiotype = 'gemeente' and o.vervolg_tijdens_vb is null and i.vervolg_tijdens_vb <= 4
            order by all limit 1""").fetchone()
        kolommen = ["eerste_melding", "hermelding_een_bekend", "hermelding_meerdere_bekend", "vervolg_tijdens_vb",
                    "vervolg_na_vb", "vervolg_tijdens_monitoring", "hermelding", "vervolgmelding", "meldingen"]
        for k in kolommen:
            keep = f"not (o.regiocode = '{regio}' and o.periode = '{periode}')" if k == "vervolg_tijdens_vb" else "true"
            con.execute(f"""
                update openbaar.hermelding_regio_periode_openbaar as o
                set {k} = 5 * floor(i.{k} / 5 + 0.5)
                from marts.hermelding_regio_periode as i
                where o.regiocode = i.regiocode and o.periode = i.periode and o.{k} is null and {keep}""")
        for k in ("meldingen", "hermelding", "vervolgmelding"):  # the same statistics, repeated for 'eerder gezien'
            con.execute(f"""
                update openbaar.eerder_gezien_regio_periode_openbaar as e set {k} = o.{k}
                from openbaar.hermelding_regio_periode_openbaar as o
                where e.regiotype = o.regiotype and e.regiocode = o.regiocode and e.periode = o.periode""")
        con.execute("""
            update openbaar.hermelding_regio_periode_openbaar as o set hermelding_pct = i.hermelding_pct
            from marts.hermelding_regio_periode as i
            where o.regiocode = i.regiocode and o.periode = i.periode and o.regiocode = 'GM0106'""")
        cellen, verhoudingen, cijfers = aanvalsaudit(con, 5, 10)
    assert cijfers["cellen_gecontroleerd"] >= 1 and cijfers["te_smal"] + cijfers["vastgepind"] >= 1
    assert verhoudingen.set_index("kolom").loc["hermelding_pct", "afwijkend"] > 0


def test_public_tables_that_contradict_each_other_are_a_refused_release_not_a_crash(gebouwd, tmp_path):
    """One statistic published in two tables (D1's year meldingen, repeated for 'ooit eerder gezien') with two
    values: the audit cannot check such tables, so it refuses the release with a message, and does not crash."""
    import shutil

    from hermelding.audit import audit
    from tests.conftest import kopieer_project

    cfg = kopieer_project(gebouwd[0], tmp_path / "project")
    kopie = cfg.build_dir / gebouwd[1].name
    shutil.copy(gebouwd[1], kopie)
    with duckdb.connect(str(kopie)) as con:
        con.execute("""update openbaar.hermelding_regio_periode_openbaar set meldingen = meldingen + 5
                       where regiotype = 'vt_regio' and periode like '%JJ00'""")
    uitslag = audit(cfg, kopie)
    assert not uitslag.geslaagd
    assert any("published with different values" in k for k in uitslag.kritiek), uitslag.kritiek


def test_headline_cells_are_not_sacrificed_for_a_residual_class(gebouwd):
    """The cells the audit of issue 9 found hidden to protect niet_ingedeeld: Hoogeveen's 2025HJ02
    hermelding, the region's vervolgmelding per half year; no regional or total meldingen is suppressed."""
    _, db, _ = gebouwd
    h = query(db, "select * from openbaar.hermelding_regio_periode_openbaar")
    assert h.loc[(h.regiocode == "GM0118") & (h.periode == "2025HJ02"), "hermelding"].notna().all()
    regio = h[(h.regiotype != "gemeente")]
    assert regio.loc[regio.periodesoort == "halfjaar", "vervolgmelding"].notna().all()
    assert regio.meldingen.notna().all() and h.niet_ingedeeld.isna().all()


def test_secondary_suppression_is_near_the_optimum_and_below_the_old_rule(gebouwd, monkeypatch):
    """The MILP's bound says no protection meeting its constraints hides less; the verify-and-cut rounds
    may add a little. The old rule (suppress the smallest other cell of every relation with one suppressed
    cell), made safe by the same attacker check, is computed on the same data: the optimisation must hide
    less. (Properties, not figures: the demo data change with the reference population.)"""
    from hermelding import disclosure_milp
    from hermelding.disclosure import SPECIFICATIES, openbaar, regio_ouders

    _, db, _ = gebouwd
    mart = query(db, "select * from marts.hermelding_regio_periode")
    ouders = regio_ouders(mart, query(db, "select * from dimensies.dim_gemeente"))
    verslag: dict = {}
    openbaar(mart, SPECIFICATIES["hermelding_regio_periode"], regio_ouder=ouders, verslag=verslag)
    assert verslag["methode"] and set(verslag["methode"]) == {"MILP"}
    assert verslag["primair"] > 0 and verslag["secundair"] > 0
    assert verslag["doelwaarde"] <= 1.15 * verslag["optimum_ondergrens"]
    # the old rule: every block through the greedy fallback, then the same verify-and-cut rounds
    monkeypatch.setattr(disclosure_milp, "MAX_CELLEN_MILP", 0)
    oud: dict = {}
    openbaar(mart, SPECIFICATIES["hermelding_regio_periode"], regio_ouder=ouders, verslag=oud)
    assert set(oud["methode"]) == {"heuristiek (blok te groot)"} and oud["primair"] == verslag["primair"]
    assert verslag["doelwaarde"] < oud["doelwaarde"]
    assert verslag["waarde_secundair"] < oud["waarde_secundair"]


# --- issue 11: planted ground truth of D2-D4, warm-up, follow-up, one z ------------------------------

def _subjecten(db):
    kolommen = "definitie_id, periode, subject_id, gemeentecode, index_datum, gebeurtenis, tijd_dagen"
    return query(db, " union all ".join(
        f"select {kolommen} from intermediate.{model}"
        for model in ("int_herhaalde_melding", "int_recidive_pleger", "int_intergenerationeel_minderjarigen")))


def test_d2_d3_d4_equal_the_planted_ground_truth_for_every_subject(gebouwd):
    """Every cohort member of D2, D3 (WODC-style start) and D4(b), with its municipality, index date and event or
    censoring time, against the generator's pandas implementation (written from the documentation)."""
    from hermelding import reference

    _, db, res = gebouwd
    verwacht = pd.read_csv(res.grondwaarheid.parent / "VT02_opvolging.csv", dtype={"subject_id": str})
    opvolger = {r["gemeentecode"]: r["opvolger"] for r in reference.gemeenten()}
    verwacht["gemeentecode"] = verwacht["gemeentecode"].map(lambda code: opvolger.get(code, code))
    # persons are keyed within their region in the warehouse; casussen keep their id
    verwacht["subject_id"] = verwacht["subject_id"].where(verwacht.definitie_id == "herhaalde_melding",
                                                          "VT02:" + verwacht["subject_id"])
    sql = _subjecten(db)
    sql["index_datum"] = sql["index_datum"].astype(str)
    assert set(verwacht.definitie_id) == {"herhaalde_melding", "recidive_pleger", "intergenerationeel"}
    assert verwacht.gebeurtenis.sum() > 1000 and (verwacht.gebeurtenis == 0).sum() > 1000
    samen = verwacht.merge(sql, on=["definitie_id", "periode", "subject_id"], how="outer", indicator=True,
                           suffixes=("_verwacht", ""))
    assert (samen["_merge"] == "both").all(), samen["_merge"].value_counts()
    for kolom in ("gemeentecode", "index_datum", "gebeurtenis", "tijd_dagen"):
        verschil = samen[samen[kolom].astype(str) != samen[f"{kolom}_verwacht"].astype(str)]
        assert verschil.empty, (kolom, verschil.head(10))


def test_wilson_and_kaplan_meier_use_one_exact_z(gebouwd):
    from statistics import NormalDist

    _, db, _ = gebouwd
    z = NormalDist().inv_cdf(0.975)
    h = query(db, "select hermelding, meldingen, hermelding_pct_ci_onder, hermelding_pct_ci_boven "
                  "from marts.hermelding_regio_periode where meldingen > 0")
    p, n = h.hermelding / h.meldingen, h.meldingen
    midden = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    breedte = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert np.allclose(h.hermelding_pct_ci_onder, 100 * (midden - breedte), rtol=0, atol=1e-9)
    assert np.allclose(h.hermelding_pct_ci_boven, 100 * (midden + breedte), rtol=0, atol=1e-9)
    # the Python side (public ratios, report) uses the same interval as the macro: one rule
    from hermelding.statistiek import wilson

    assert np.allclose(wilson(h.hermelding, h.meldingen, -1), h.hermelding_pct_ci_onder, rtol=0, atol=1e-9)
    assert np.allclose(wilson(h.hermelding, h.meldingen, +1), h.hermelding_pct_ci_boven, rtol=0, atol=1e-9)


def test_warm_up_periods_are_marked_and_their_percentages_not_published(gebouwd):
    """Data start 2019-01-01: D1's 36-month look-back is complete from 2022, D4(a)'s 60 months of history from 2024.
    The public marts leave the percentages of other periods empty; the counts stay."""
    from datetime import date

    _, db, _ = gebouwd
    h = query(db, "select regiocode, periode, periode_start, lookback_volledig, hermelding_pct "
                  "from marts.hermelding_regio_periode")
    assert (h.lookback_volledig == (pd.to_datetime(h.periode_start) >= pd.Timestamp(date(2022, 1, 1)))).all()
    openbaar = query(db, "select * from openbaar.hermelding_regio_periode_openbaar")
    warm = openbaar[~openbaar.lookback_volledig.astype(bool)]
    assert len(warm) > 0 and warm.hermelding_pct.isna().all() and warm.hermelding_pct_ci_onder.isna().all()
    assert warm.meldingen.notna().any()
    assert openbaar[openbaar.lookback_volledig.astype(bool)].hermelding_pct.notna().any()

    i = query(db, "select periode, lookback_volledig from marts.intergenerationeel_regio_periode")
    assert (i.lookback_volledig == (i.periode.str[:4].astype(int) >= 2024)).all()
    io = query(db, "select * from openbaar.intergenerationeel_regio_periode_openbaar")
    assert io[~io.lookback_volledig.astype(bool)].eerder_als_minderjarige_pct.isna().all()
    assert io[io.lookback_volledig.astype(bool)].eerder_als_minderjarige_pct.notna().any()


def test_kaplan_meier_is_published_only_within_follow_up_and_with_enough_at_risk(gebouwd):
    _, db, _ = gebouwd
    intern = query(db, "select h.*, p.periode_eind from marts.herhaling_cohort h inner join "
                       "(select distinct periode, periode_eind from intermediate.int_perioden) p "
                       "on p.periode = h.cohort_periode")
    # data end 2025-12-31: follow-up reaches h only when the cohort period ended h days before it
    bereikt = (pd.Timestamp("2025-12-31") - pd.to_datetime(intern.periode_eind)).dt.days >= intern.horizon_dagen
    assert (intern.volledige_followup == bereikt).all()
    genoeg = 5 * np.floor(intern.aantal_at_risk / 5 + 0.5) >= 20
    assert (intern.publiceerbaar == (bereikt & genoeg)).all()
    assert set(intern.reden_niet_publiceerbaar.dropna()) == {"followup_onvolledig", "te_weinig_at_risk"}
    assert intern.cumulatief_pct.notna().all()  # internally every value is kept
    # the 2025HJ02 cohort was followed for no day at all: nothing of it is publishable
    assert not intern[intern.cohort_periode == "2025HJ02"].publiceerbaar.any()
    openbaar = query(db, "select * from openbaar.herhaling_cohort_openbaar")
    assert openbaar[~openbaar.publiceerbaar.astype(bool)].cumulatief_pct.isna().all()
    assert openbaar[~openbaar.publiceerbaar.astype(bool)].cumulatief_pct_ci_boven.isna().all()
    assert openbaar[openbaar.publiceerbaar.astype(bool)].cumulatief_pct.notna().any()
    # the number at risk is not public (cohort minus events with complete follow-up: it would give away suppressed
    # event counts); publicly, 'enough at risk' is decided on the published counts alone, so it reveals nothing more
    assert openbaar.aantal_at_risk.isna().all() and (openbaar.aantal_at_risk_vlag == "niet_openbaar").all()
    volledig = openbaar.volledige_followup.astype(bool)
    getoond = openbaar.cohort_omvang.notna() & openbaar.aantal_gebeurtenissen.notna()
    genoeg = openbaar.cohort_omvang - openbaar.aantal_gebeurtenissen >= 20
    assert (openbaar.publiceerbaar.astype(bool) == (volledig & getoond & genoeg.fillna(False))).all()
    verwacht = np.select([~volledig, ~getoond, ~genoeg.fillna(False)],
                         ["followup_onvolledig", "aantal_onderdrukt", "te_weinig_at_risk"], "")
    assert (openbaar.reden_niet_publiceerbaar.fillna("").to_numpy() == verwacht).all()
    assert (openbaar.reden_niet_publiceerbaar == "te_weinig_at_risk").any()
    # an empty percentage says why with a public flag only
    verborgen = openbaar[volledig & openbaar.cumulatief_pct.isna()]
    assert verborgen.cumulatief_pct_vlag.notna().all()
    assert set(verborgen.cumulatief_pct_vlag) <= {"onderdrukt", "niet_openbaar"}


def test_rates_of_quarters_and_half_years_say_they_are_not_annualised():
    import yaml

    from tests.conftest import REPO

    for pad in ("models/marts/intern/_intern__models.yml", "models/marts/openbaar/_openbaar__models.yml"):
        modellen = yaml.safe_load((REPO / "dbt_project" / pad).read_text())["models"]
        kolom = next(k for m in modellen if m["name"].startswith("hermelding_regio_periode")
                     for k in m["columns"] if k["name"] == "meldingen_per_1000_inwoners")
        assert "niet op jaarbasis" in kolom["description"] and "not annualised" in kolom["description"].lower()


def test_history_deliveries_feed_the_look_back_but_get_no_figures(gebouwd, tmp_path):
    """A ledger flag leveringsoort = 'historie' (docs/methode.md): its periods publish nothing, while its meldingen
    and casussen still count for the look-back, so later figures are those of the same data delivered regularly."""
    import shutil

    cfg, standaard_db, _ = gebouwd
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(cfg.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table ingest.leveringen add column if not exists leveringsoort varchar default 'regulier'")
        con.execute("update ingest.leveringen set leveringsoort = 'historie' where periode < '2021'")
    historie_cfg = cfg.with_overrides(warehouse=str(warehouse), build_dir=str(tmp_path / "build"))
    db = build(historie_cfg).build_db
    for mart, periode in (("hermelding_regio_periode", "periode"), ("herhaling_cohort", "cohort_periode"),
                          ("intergenerationeel_regio_periode", "periode")):
        jaren = set(query(db, f"select distinct left({periode}, 4) as jaar from marts.{mart}").jaar)
        assert jaren == {str(j) for j in range(2021, 2026)}, mart
    kolommen = "regiocode, periode, lookback_volledig, meldingen, hermelding, eerste_melding"
    met = query(db, f"select {kolommen} from marts.hermelding_regio_periode order by regiocode, periode")
    zonder = query(standaard_db, f"select {kolommen} from marts.hermelding_regio_periode "
                                 "where periode >= '2021' order by regiocode, periode")
    pd.testing.assert_frame_equal(met, zonder)
    assert query(db, "select count(*) n from marts.melding_classificatie where datum_melding < '2021-01-01'").n[0] > 0
