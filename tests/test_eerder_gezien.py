"""'Gezinnen ooit eerder gezien' (issue 12, section 5): the internal mart against D1 and against an independent
pandas count from the delivered files and the planted D1 classes, and the public variant's rules. The attacker
audit over every public table, this one included, is tests/test_definities.py
`test_the_attacker_finds_nothing_in_the_demo_release`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hermelding.reference import gemeenten
from tests.conftest import geleverd, query

SLEUTEL = ["regiotype", "regiocode", "periode"]


def test_seen_before_lies_between_d1_classes_and_the_meldingen_and_repeats_d1(demo_gebouwd):
    _, db, _ = demo_gebouwd
    mart = query(db, "select * from marts.eerder_gezien_regio_periode")
    d1 = query(db, "select * from marts.hermelding_regio_periode where periodesoort = 'jaar'")
    samen = d1.merge(mart, on=SLEUTEL, how="outer", suffixes=("_d1", ""), indicator=True)
    assert len(samen) > 50 and (samen["_merge"] == "both").all()
    for kolom in ("meldingen", "hermelding", "vervolgmelding"):
        assert (samen[kolom] == samen[f"{kolom}_d1"]).all(), kolom
    assert (mart.eerder_gezien >= mart.hermelding + mart.vervolgmelding).all()
    assert (mart.eerder_gezien <= mart.meldingen).all()
    # it says more than D1: some families were seen before longer ago than the look-back, or in another way
    assert (mart.eerder_gezien_overig > 0).any()


def test_seen_before_equals_an_independent_count_from_the_delivered_files(demo_gebouwd):
    cfg, db, res = demo_gebouwd
    meldingen = geleverd(cfg, "meldingen").sort_values("levering").drop_duplicates("melding_id", keep="last")
    betrokkenen = geleverd(cfg, "betrokkenen")
    betrokkenen = betrokkenen.merge(meldingen[["melding_id", "levering"]], on=["melding_id", "levering"])
    betrokkenen = betrokkenen.merge(meldingen[["melding_id", "datum_melding"]], on="melding_id")
    eerste = betrokkenen.groupby("persoon_id")["datum_melding"].min().rename("eerste")
    eerder = set(betrokkenen.join(eerste, on="persoon_id").query("eerste < datum_melding").melding_id)
    klassen = pd.read_csv(res.grondwaarheid, dtype=str, keep_default_na=False)
    per_definitie = set(klassen[klassen.klasse.isin(["hermelding", "vervolgmelding"])].melding_id)
    opvolger = {r["gemeentecode"]: r["opvolger"] for r in gemeenten()}
    meldingen["regiocode"] = meldingen.gemeentecode.map(lambda code: opvolger.get(code, code))
    meldingen["periode"] = meldingen.datum_melding.str[:4] + "JJ00"
    meldingen["eerder_gezien"] = meldingen.melding_id.isin(eerder | per_definitie)
    verwacht = meldingen.groupby(["regiocode", "periode"]).eerder_gezien.sum()
    mart = query(db, "select regiocode, periode, eerder_gezien from marts.eerder_gezien_regio_periode "
                     "where regiotype = 'gemeente'").set_index(["regiocode", "periode"]).eerder_gezien
    verwacht = verwacht.reindex(mart.index, fill_value=0)
    assert mart.sum() > 1000
    assert (mart.to_numpy() == verwacht.to_numpy()).all(), (mart - verwacht)[mart != verwacht].head()


def test_the_public_share_is_computed_from_published_counts_and_repeats_d1s_cells(demo_gebouwd):
    _, db, _ = demo_gebouwd
    pub = query(db, "select * from openbaar.eerder_gezien_regio_periode_openbaar")
    d1 = query(db, "select * from openbaar.hermelding_regio_periode_openbaar where periodesoort = 'jaar'")
    samen = pub.merge(d1, on=SLEUTEL, suffixes=("", "_d1"), validate="one_to_one")
    assert len(samen) == len(pub) > 50
    for kolom in ("meldingen", "hermelding", "vervolgmelding"):
        a, b = samen[kolom].astype("Float64"), samen[f"{kolom}_d1"].astype("Float64")
        assert ((a == b).fillna(False) | (a.isna() & b.isna())).all(), kolom
    assert pub.eerder_gezien_overig.isna().all()
    n, x, pct = (pub[k].astype("Float64") for k in ("meldingen", "eerder_gezien", "eerder_gezien_pct"))
    getoond = pct.notna().to_numpy()
    assert getoond.sum() > 20
    assert np.allclose(pct[getoond].astype(float), (100 * x[getoond] / n[getoond]).astype(float).round(1))
    assert ((x.dropna() % 5 == 0) & (x.dropna() >= 10)).all()
    assert (pub.loc[x.isna().to_numpy(), "eerder_gezien_vlag"] == "onderdrukt").all()
    regio = pub[pub.regiotype == "vt_regio"]
    assert regio.eerder_gezien_pct.notna().all()
