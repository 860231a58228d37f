"""The attacker's view of the public tables: what can be inferred about a suppressed cell from everything
that is published, by linear programming.

An attacker knows every public table, the rules by which they were made and the relations that hold in the
data:

- each shown count is the true count rounded to a multiple of `afronding`, so the truth lies within
  ±(afronding // 2) of it, and no count is negative;
- the additive relations of the table specifications (hermelding/disclosure.py `SPECIFICATIES`): within a
  row (a total and its classes; with an unpublished residual class the total is at least the sum of the
  published ones), a region and its municipalities, a period and its sub-periods, and a statistic repeated
  in several rows (the cohort size at every horizon) is one value;
- inequalities that hold by definition: a numerator is at most its denominator, Kaplan-Meier events do not
  decrease with the horizon, and a count of persons by their first appearance in a period (`personen`: cohorts
  of D3 and D4, the adults of D4a) lies between its first sub-period's count and the sum of its sub-periods'.

With the latest frozen release (`met_bevroren`) the attacker also has that release's public tables: a closed
statistic unchanged since then is one cell in both, every other cell of it a fixed cell with its own relations.

For every suppressed cell the feasible interval [min, max] of its true value is computed over all of that
(one LP per bound, warm-started HiGHS on a sparse model, per connected block of cells). A release is safe
when no suppressed cell is pinned to one integer and every primary cell (true count rounding below
`minimum_telling`) can still be anything in an interval that reaches `minimum_telling` and is at least
`minimum_telling` wide (the protection level).

This module does not use the suppression engine: it reads the specifications (the tables' structure) and
the public frames. The suppression engine uses it to verify its own choice; the release audit
(hermelding/audit.py) runs it again, independently, on the frames that will be published.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

Z = 1.96  # Wilson 95% intervals, as the internal marts (macro wilson_onder/boven)
DECIMALEN = 1  # every public percentage, bound and rate: one decimal


# --- ratios: only from public counts -----------------------------------------------------------------


def _wilson(x: np.ndarray, n: np.ndarray, teken: int) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        midden = (x + Z**2 / 2) / (n + Z**2)
        breedte = Z * np.sqrt(np.clip(x * (n - x) / n + Z**2 / 4, 0, None)) / (n + Z**2)
        return 100 * (midden + teken * breedte)


def verhoudingen(frame: pd.DataFrame, spec) -> pd.DataFrame:
    """Every ratio column of `spec.afgeleid` computed from the columns of `frame` (the public, rounded counts)
    by its formula, to `DECIMALEN` decimals; empty when any input is empty, a denominator is 0 or the
    formula's condition (`spec.voorwaarde`) does not hold. A ratio that is not published at all
    (`spec.niet_openbaar`) is empty."""
    uit = pd.DataFrame(index=frame.index)
    for kolom, (soort, teller, noemer) in spec.afgeleid.items():
        x = pd.to_numeric(frame[teller], errors="coerce").astype(float).to_numpy()
        n = pd.to_numeric(frame[noemer], errors="coerce").astype(float).to_numpy()
        geldig = ~np.isnan(x) & ~np.isnan(n) & (n > 0)
        if kolom in spec.voorwaarde:
            geldig &= frame[spec.voorwaarde[kolom]].fillna(False).astype(bool).to_numpy()
        if kolom in spec.niet_openbaar:
            geldig[:] = False
        with np.errstate(invalid="ignore", divide="ignore"):
            if soort == "aandeel":
                waarde = 100 * x / n
            elif soort == "per_1000":
                waarde = 1000 * x / n
            elif soort == "wilson_onder":
                waarde = _wilson(x, n, -1)
            elif soort == "wilson_boven":
                waarde = _wilson(x, n, +1)
            else:
                raise ValueError(f"Unknown ratio formula {soort!r} for column {kolom}.")
        uit[kolom] = np.where(geldig, np.round(waarde, DECIMALEN), np.nan)
    return uit


# --- the linked set of cells and relations --------------------------------------------------------------


def periode_ouders(perioden: pd.Series) -> pd.DataFrame:
    """(kind, ouder) for CBS period codes: a quarter's half year, a half year's year."""
    perioden = pd.Series(pd.unique(perioden.dropna().astype(str)))
    jaar, soort = perioden.str[:4], perioden.str[4:6]
    nr = pd.to_numeric(perioden.str[6:8], errors="coerce")
    halfjaar = jaar + "HJ0" + ((nr + 1) // 2).astype("Int64").astype(str)
    ouder = np.select([soort == "KW", soort == "HJ"], [halfjaar, jaar + "JJ00"], "")
    paren = pd.DataFrame({"kind": perioden, "ouder": ouder})
    return paren[paren["ouder"] != ""]


@dataclass
class Model:
    """Cells (one per distinct statistic over all tables) and the relations between them.
    `gelijk` x = 0 and `ongelijk` x >= 0, rows are relations, columns cells."""
    cellen: pd.DataFrame  # cel, mart, kolom, sleutel (text), waarde
    rijcellen: pd.DataFrame  # mart, rij (position in the mart's frame), kolom, cel
    gelijk: sparse.csr_matrix
    ongelijk: sparse.csr_matrix


def gepubliceerde_tellingen(spec) -> tuple[str, ...]:
    """The count columns that appear in the public table (residual and unpublished ones excluded)."""
    return tuple(k for k in spec.tellingen if k not in spec.residu and k not in spec.niet_openbaar)


def _tekst(frame: pd.DataFrame, kolommen: list[str]) -> pd.Series:
    sleutel = pd.Series("", index=frame.index)
    for kolom in kolommen:
        sleutel = sleutel + "|" + frame[kolom].astype(str)
    return sleutel


def _lang(mart: str, frame: pd.DataFrame, spec) -> pd.DataFrame:
    kolommen = list(gepubliceerde_tellingen(spec))
    sleutel = list(spec.sleutel)
    extra = [k for k in spec.periodiek_als if k not in sleutel]
    basis = frame[sleutel + extra].reset_index(drop=True)
    delen = []
    for kolom in kolommen:
        deel = basis.copy()
        deel["rij"] = np.arange(len(basis))
        deel["kolom"] = kolom
        deel["waarde"] = pd.to_numeric(frame[kolom], errors="coerce").astype(float).to_numpy()
        vast = spec.vast_over.get(kolom, ())
        # a table that repeats another's cells (spec.cellen_van) names them as that table does: one cell
        deel["sleutel"] = (spec.cellen_van or mart) + "|" + kolom + _tekst(deel, [k for k in sleutel if k not in vast])
        delen.append(deel)
    lang = pd.concat(delen, ignore_index=True) if delen else pd.DataFrame(columns=[*sleutel, "rij", "kolom"])
    lang["mart"] = mart
    return lang


def _kind_ouder(lang: pd.DataFrame, paren: pd.DataFrame, kolom: str, vast: list[str], soort: str) -> pd.DataFrame:
    """Relation rows (relatie, sleutel, coef) 'parent = sum of children' along one dimension `kolom`:
    children carry -1, the parent +1; `vast` are the key columns that must match."""
    kind = lang.merge(paren, left_on=kolom, right_on="kind")
    ouder = lang[[*vast, kolom, "sleutel"]].rename(columns={kolom: "ouder", "sleutel": "ouder_sleutel"})
    kind = kind.merge(ouder.drop_duplicates(), on=[*vast, "ouder"])
    relatie = soort + "|" + kind["ouder_sleutel"]
    return pd.concat([
        pd.DataFrame({"relatie": relatie, "sleutel": kind["sleutel"], "coef": -1.0}),
        pd.DataFrame({"relatie": relatie, "sleutel": kind["ouder_sleutel"], "coef": 1.0}),
    ], ignore_index=True)


def _personen_periode(lang: pd.DataFrame, per: str, vast: list[str], soort: str) -> list[pd.DataFrame]:
    """Relation rows (relatie, sleutel, coef), each meaning 'sum of coef x cell >= 0', for counts of persons by
    their first appearance in a period: the period's count is at least its first sub-period's (whoever is in the
    first half year is in the year with that same first appearance, so also in the same region and with the same
    event or not) and at most the sum of its sub-periods' (a person of the year is in one of them, with the same
    first appearance). `vast` are the key columns that must match besides the column."""
    if lang.empty:
        return []
    paren = periode_ouders(lang[per])
    kind = lang.merge(paren, left_on=per, right_on="kind")
    ouder = lang[[*vast, "kolom", per, "sleutel"]].rename(columns={per: "ouder", "sleutel": "ouder_sleutel"})
    kind = kind.merge(ouder.drop_duplicates(), on=[*vast, "kolom", "ouder"])
    # the upper bound only where every sub-period is there (two half years, two quarters)
    volledig = kind.groupby("ouder_sleutel")["sleutel"].transform("size") == 2
    boven = kind[volledig]
    relatie_boven = soort + "|som|" + boven["ouder_sleutel"]
    eerste = kind[pd.to_numeric(kind["kind"].str[6:8]) % 2 == 1]  # HJ01 of a year, KW01 / KW03 of a half year
    relatie_eerste = soort + "|eerste|" + eerste["sleutel"]
    return [
        pd.DataFrame({"relatie": relatie_boven, "sleutel": boven["sleutel"], "coef": 1.0}),
        pd.DataFrame({"relatie": relatie_boven, "sleutel": boven["ouder_sleutel"], "coef": -1.0}),
        pd.DataFrame({"relatie": relatie_eerste, "sleutel": eerste["ouder_sleutel"], "coef": 1.0}),
        pd.DataFrame({"relatie": relatie_eerste, "sleutel": eerste["sleutel"], "coef": -1.0}),
    ]


def bouw_model(tabellen: dict[str, tuple[pd.DataFrame, object]], regio_ouder: pd.DataFrame | None) -> Model:
    """All public tables as one linked set. `tabellen`: mart -> (frame, Specificatie); the frame's count
    columns give the cells' values (public or exact: the structure is the same). `regio_ouder`: (kind,
    ouder) region codes, municipality -> VT region -> total."""
    lang = pd.concat([_lang(m, f.reset_index(drop=True), s) for m, (f, s) in tabellen.items()], ignore_index=True)
    gelijk, ongelijk = [], []
    for mart, (_frame, spec) in tabellen.items():
        eigen = lang[lang["mart"] == mart]
        if eigen.empty:
            continue
        gepubliceerd = set(gepubliceerde_tellingen(spec))
        sleutel = list(spec.sleutel)
        # within a row: a total and its classes; an unpublished class makes it 'total >= published classes'
        for i, (totaal, delen) in enumerate(spec.rij_groepen):
            if totaal not in gepubliceerd:
                continue
            leden = eigen[eigen["kolom"].isin([totaal, *delen])]
            rel = pd.DataFrame({"relatie": f"{mart}|rij{i}|" + leden["rij"].astype(str), "sleutel": leden["sleutel"],
                                "coef": np.where(leden["kolom"] == totaal, 1.0, -1.0)})
            (gelijk if set(delen) <= gepubliceerd else ongelijk).append(rel)
        # numerator <= denominator of every ratio between two published counts
        for soort, teller, noemer in {v for v in spec.afgeleid.values()}:
            if soort == "per_1000" or teller not in gepubliceerd or noemer not in gepubliceerd:
                continue
            t = eigen[eigen["kolom"] == teller][["rij", "sleutel"]]
            n = eigen[eigen["kolom"] == noemer][["rij", "sleutel"]]
            paar = t.merge(n, on="rij", suffixes=("_t", "_n"))
            relatie = f"{mart}|ratio|{teller}|" + paar["rij"].astype(str)
            ongelijk += [pd.DataFrame({"relatie": relatie, "sleutel": paar["sleutel_n"], "coef": 1.0}),
                         pd.DataFrame({"relatie": relatie, "sleutel": paar["sleutel_t"], "coef": -1.0})]
        # monotone along a key (Kaplan-Meier events up, members at risk down with the horizon)
        for kolom, (as_kolom, richting) in spec.monotoon.items():
            reeks = eigen[eigen["kolom"] == kolom].sort_values([*[k for k in sleutel if k != as_kolom], as_kolom])
            groep = reeks.groupby([k for k in sleutel if k != as_kolom], sort=False)["sleutel"]
            volgende = groep.shift(-1)
            paar = reeks.assign(volgende=volgende).dropna(subset=["volgende"])
            relatie = f"{mart}|mono|{kolom}|" + paar["sleutel"]
            ongelijk += [pd.DataFrame({"relatie": relatie, "sleutel": paar["volgende"], "coef": float(richting)}),
                         pd.DataFrame({"relatie": relatie, "sleutel": paar["sleutel"], "coef": -float(richting)})]
        # a region is the sum of its sub-regions (same period, other keys and column)
        if spec.geografisch and regio_ouder is not None and len(regio_ouder):
            vast = [k for k in sleutel if k not in ("regiotype", "regiocode")] + ["kolom"]
            gelijk.append(_kind_ouder(eigen, regio_ouder, "regiocode", vast, f"{mart}|geo"))
        # a period is the sum of its sub-periods (where spec.periodiek_als says the cohorts are disjoint)
        if spec.periodiek:
            per = spec.periode_kolom
            deel = eigen
            for kolom, waarden in spec.periodiek_als.items():
                deel = deel[deel[kolom].isin(waarden)]
            vast = [k for k in sleutel if k != per] + ["kolom"]
            gelijk.append(_kind_ouder(deel, periode_ouders(deel[per]), per, vast, f"{mart}|per"))
        # persons counted by their first appearance in a period: first sub-period <= period <= sum of sub-periods,
        # on the rows without the additive period relation
        if spec.personen:
            deel = eigen[eigen["kolom"].isin(spec.personen)]
            if spec.periodiek:
                additief = pd.Series(True, index=deel.index)
                for kolom, waarden in spec.periodiek_als.items():
                    additief &= deel[kolom].isin(waarden)
                deel = deel[~additief] if spec.periodiek_als else deel.iloc[0:0]
            ongelijk += _personen_periode(deel, spec.periode_kolom, [k for k in sleutel if k != spec.periode_kolom],
                                          f"{mart}|pers")
    _controleer_herhaald(lang)
    cellen = (lang.drop_duplicates("sleutel")[["sleutel", "mart", "kolom", "waarde"]].reset_index(drop=True))
    cellen["cel"] = np.arange(len(cellen))
    nummer = pd.Series(cellen["cel"].to_numpy(), index=cellen["sleutel"])
    rijcellen = lang[["mart", "rij", "kolom"]].assign(cel=nummer.reindex(lang["sleutel"]).to_numpy())

    def matrix(delen: list[pd.DataFrame]) -> sparse.csr_matrix:
        if not delen:
            return sparse.csr_matrix((0, len(cellen)))
        rel = pd.concat(delen, ignore_index=True).drop_duplicates(["relatie", "sleutel"])
        rij, _ = pd.factorize(rel["relatie"])
        return sparse.csr_matrix((rel["coef"].to_numpy(), (rij, nummer.reindex(rel["sleutel"]).to_numpy())),
                                 shape=(rij.max() + 1 if len(rij) else 0, len(cellen)))

    return Model(cellen=cellen, rijcellen=rijcellen, gelijk=matrix(gelijk), ongelijk=matrix(ongelijk))


def afgesloten(model: Model, tabellen: dict[str, tuple[pd.DataFrame, object]]) -> pd.Series:
    """Per cell key of `model` (built from `tabellen`): whether its statistic can no longer change with later data,
    by the specification's `afgesloten` column (true on any row the cell appears in). A table without one: every
    cell counts as closed (so an unchanged value is taken for the same statistic)."""
    delen = []
    for mart, (frame, spec) in tabellen.items():
        rc = model.rijcellen[model.rijcellen["mart"] == mart]
        kolom = getattr(spec, "afgesloten", None)
        vlag = (frame[kolom].fillna(False).astype(bool).to_numpy() if kolom else np.ones(len(frame), dtype=bool))
        delen.append(pd.DataFrame({"cel": rc["cel"].to_numpy(), "dicht": vlag[rc["rij"].to_numpy()]}))
    dicht = pd.concat(delen).groupby("cel")["dicht"].any()
    return pd.Series(dicht.reindex(model.cellen["cel"]).fillna(False).to_numpy(), index=model.cellen["sleutel"])


def met_bevroren(nu: Model, nu_exact: np.ndarray, oud: Model, oud_exact: pd.Series,
                 oud_dicht: pd.Series | None = None) -> tuple[Model, dict]:
    """The current tables and the latest frozen release as one linked set (docs/openbaarmaking.md, 'Twee
    releases samen'). A statistic whose exact value is the same in both (a closed period, a cohort with complete
    follow-up: `oud_dicht`, by key, from `afgesloten`) is one cell: what the frozen release showed of it, the
    attacker knows now, and the relations of both releases hold on it. (An open statistic whose value happens to
    be the same is not: nobody can know it did not change, and taking it for known could pin a new cell.) Every other cell of the frozen release is a cell of its own (its old value), with
    the frozen release's relations. `nu`: the current model; `nu_exact`: its cells' exact values; `oud`: the model
    of the frozen release's public tables (cells' values as published); `oud_exact`: its exact values by key.

    Returns the combined model (its cells' `waarde`: the current model's, and for cells only in the frozen release
    their published value) and per cell of it: `exact` (the exact value), `toen` (the value the frozen release
    published; NaN when suppressed there or not in it) and `in_oud` (a cell of the frozen release)."""
    oud_sleutel = oud.cellen["sleutel"]
    exact_oud = oud_exact.reindex(oud_sleutel).to_numpy(dtype=float)
    exact_nu = pd.Series(nu_exact, index=nu.cellen["sleutel"]).reindex(oud_sleutel).to_numpy(dtype=float)
    zelfde = ~np.isnan(exact_oud) & (exact_nu == exact_oud)
    if oud_dicht is not None:
        zelfde &= oud_dicht.reindex(oud_sleutel).fillna(False).to_numpy(dtype=bool)
    n = len(nu.cellen)
    nummer = pd.Series(nu.cellen["cel"].to_numpy(), index=nu.cellen["sleutel"])
    alleen_oud = oud.cellen[~zelfde]
    naar = np.empty(len(oud.cellen), dtype=np.int64)
    naar[zelfde] = nummer.reindex(oud_sleutel[zelfde]).to_numpy()
    naar[~zelfde] = n + np.arange(len(alleen_oud))
    extra = alleen_oud.assign(sleutel="bevroren|" + alleen_oud["sleutel"], mart="bevroren|" + alleen_oud["mart"],
                              cel=naar[~zelfde])
    cellen = pd.concat([nu.cellen, extra], ignore_index=True)
    totaal = len(cellen)
    kaart = sparse.csr_matrix((np.ones(len(naar)), (np.arange(len(naar)), naar)), shape=(len(naar), totaal))

    def samen(a: sparse.csr_matrix, b: sparse.csr_matrix) -> sparse.csr_matrix:
        a = sparse.hstack([a, sparse.csr_matrix((a.shape[0], totaal - n))]).tocsr()
        return sparse.vstack([a, (b @ kaart)]).tocsr()

    model = Model(cellen=cellen, rijcellen=nu.rijcellen, gelijk=samen(nu.gelijk, oud.gelijk),
                  ongelijk=samen(nu.ongelijk, oud.ongelijk))
    exact = np.r_[np.asarray(nu_exact, dtype=float), exact_oud[~zelfde]]
    toen = np.full(totaal, np.nan)
    toen[naar] = oud.cellen["waarde"].to_numpy(dtype=float)
    in_oud = np.zeros(totaal, dtype=bool)
    in_oud[naar] = True
    return model, {"exact": exact, "toen": toen, "in_oud": in_oud, "gelijk_gebleven": int(zelfde.sum())}


def _controleer_herhaald(lang: pd.DataFrame) -> None:
    """A statistic that appears in several rows or tables (one cell) must have one value everywhere, shown or
    empty alike: a count shown in one table and suppressed in another is simply shown."""
    herhaald = lang[lang.duplicated("sleutel", keep=False)]
    if herhaald.empty:
        return
    per_cel = herhaald.groupby("sleutel", sort=False)["waarde"]
    verschil = (per_cel.nunique(dropna=False) > 1)
    if verschil.any():
        voorbeeld = verschil[verschil].index[0].split("|")
        raise ValueError(f"Disclosure: {int(verschil.sum())} statistic(s) are published with different values (or "
                         f"shown in one place and suppressed in another), e.g. column {voorbeeld[1]} of "
                         f"{voorbeeld[0]}: a table that repeats another's cells (Specificatie.cellen_van) must copy "
                         "them. Nothing published.")


# --- feasible intervals ---------------------------------------------------------------------------------


def _blokken(model: Model) -> np.ndarray:
    """Connected block per cell: cells linked through any relation."""
    a = sparse.vstack([model.gelijk, model.ongelijk]).tocsr()
    n_cel = a.shape[1]
    if a.shape[0] == 0:
        return np.arange(n_cel)
    b = abs(a).astype(bool).astype(np.int8)
    graaf = sparse.bmat([[None, b.T], [b, None]])
    _, labels = connected_components(graaf, directed=False)
    return labels[:n_cel]


def intervallen(model: Model, getoond: np.ndarray, marge: int, doelen: np.ndarray,
                bindend: bool = False, eis: float | None = None) -> pd.DataFrame:
    """For each target cell (index into model.cellen) the smallest and largest true value consistent
    with everything public: shown cells (getoond, NaN = suppressed) within ±marge and >= 0, suppressed
    cells >= 0, all relations. Returns cel, onder, boven (boven = inf when unbounded); with `bindend` also
    `bindend`: per cell the shown cells whose rounding interval limits its interval (non-zero reduced cost in
    the min or max LP): only suppressing one of them can widen it.

    With `eis` (the protection level) the intervals are only computed as far as a verdict needs: two LPs
    push all target cells down and up at once; a cell whose values in those two feasible solutions already
    span `eis` and reach it (so its true interval does too) keeps that range (`exact` False), the others
    get their own two LPs."""
    import highspy

    getoond = np.asarray(getoond, dtype=float)
    doelen = np.asarray(doelen, dtype=int)
    onder_c = np.where(np.isnan(getoond), 0.0, np.maximum(getoond - marge, 0.0))
    boven_c = np.where(np.isnan(getoond), np.inf, getoond + marge)
    alle = sparse.vstack([model.gelijk, model.ongelijk]).tocsr()
    n_gelijk = model.gelijk.shape[0]
    rij_onder = np.r_[np.zeros(n_gelijk), np.zeros(model.ongelijk.shape[0])]
    rij_boven = np.r_[np.zeros(n_gelijk), np.full(model.ongelijk.shape[0], np.inf)]
    blok = _blokken(model)
    rij_blok = blok[alle.indices[alle.indptr[:-1]]] if alle.shape[0] else np.array([], dtype=int)
    uit_onder = np.full(len(doelen), np.nan)
    uit_boven = np.full(len(doelen), np.nan)
    uit_bindend: list = [None] * len(doelen)
    exact = np.ones(len(doelen), dtype=bool)
    for b in np.unique(blok[doelen]):
        kol = np.flatnonzero(blok == b)
        rijen = np.flatnonzero(rij_blok == b)
        sub = alle[rijen][:, kol].tocsc()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(kol), len(rijen)
        lp.col_cost_ = np.zeros(len(kol))
        lp.col_lower_, lp.col_upper_ = onder_c[kol], np.where(np.isinf(boven_c[kol]), highspy.kHighsInf, boven_c[kol])
        lp.row_lower_ = rij_onder[rijen]
        lp.row_upper_ = np.where(np.isinf(rij_boven[rijen]), highspy.kHighsInf, rij_boven[rijen])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = sub.indptr, sub.indices, sub.data
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve", "off")  # keep the basis between solves: only the objective changes
        h.setOptionValue("simplex_strategy", 4)  # primal simplex: the previous optimum stays feasible
        h.passModel(lp)
        positie = pd.Series(np.arange(len(kol)), index=kol)
        hier = np.flatnonzero(blok[doelen] == b)
        if eis is not None:
            # a finite box for the joint solves (a cell unbounded above would make 'push all up' unbounded)
            plafond = np.nansum(np.where(np.isnan(getoond), 0, getoond)) + 10 * float(np.max(eis)) + 10
            vrij = np.flatnonzero(np.isinf(boven_c[kol])).astype(np.int32)
            if len(vrij):
                h.changeColsBounds(len(vrij), vrij, onder_c[kol][vrij], np.full(len(vrij), plafond))
            laag = np.full(len(hier), np.inf)
            hoog = np.full(len(hier), -np.inf)
            open_ = np.ones(len(hier), dtype=bool)
            while open_.any():  # push the still undecided cells down and up together, until few are left
                j_open = positie[doelen[hier[open_]]].to_numpy().astype(np.int32)
                for teken in (1.0, -1.0):
                    h.changeColsCost(len(j_open), j_open, np.full(len(j_open), teken))
                    h.run()
                    if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                        x = np.asarray(h.getSolution().col_value)[positie[doelen[hier]].to_numpy()]
                        laag, hoog = np.minimum(laag, x), np.maximum(hoog, x)
                    h.changeColsCost(len(j_open), j_open, np.zeros(len(j_open)))
                eis_hier = np.broadcast_to(np.asarray(eis, dtype=float), doelen.shape)[hier]
                # the integer test of `beoordeel`: a range 56.25..57.5 is 1.25 wide but holds one integer only,
                # so judged on it the cell would look pinned while its true interval is wider
                laag_heel, hoog_heel = np.ceil(laag - 1e-6), np.floor(hoog + 1e-6)
                nog = open_ & ~((hoog_heel - laag_heel >= eis_hier) & (hoog_heel >= eis_hier))
                klaar = nog.sum() > 0.8 * open_.sum()
                open_ = nog
                if klaar:
                    break
            if len(vrij):
                h.changeColsBounds(len(vrij), vrij, onder_c[kol][vrij], np.full(len(vrij), highspy.kHighsInf))
            genoeg = ~open_
            uit_onder[hier[genoeg]], uit_boven[hier[genoeg]] = laag[genoeg], hoog[genoeg]
            exact[hier[genoeg]] = False
            hier = hier[open_]
        for i in hier:
            j = int(positie[doelen[i]])
            for teken in (1.0, -1.0):
                h.changeColCost(j, teken)
                h.run()
                status = h.getModelStatus()
                if status == highspy.HighsModelStatus.kOptimal:
                    waarde = teken * h.getInfo().objective_function_value
                elif status == highspy.HighsModelStatus.kUnbounded:
                    waarde = -teken * np.inf
                else:
                    raise RuntimeError(f"Attacker LP for block {b}: HiGHS status {h.modelStatusToString(status)} "
                                       "(the public tables contradict their own relations).")
                if bindend and status == highspy.HighsModelStatus.kOptimal:
                    dual = np.abs(np.asarray(h.getSolution().col_dual)) > 1e-9
                    grens = kol[dual]
                    nieuw = grens[~np.isnan(getoond[grens])]
                    uit_bindend[i] = nieuw if uit_bindend[i] is None else np.union1d(uit_bindend[i], nieuw)
                if teken > 0:
                    uit_onder[i] = waarde
                else:
                    uit_boven[i] = waarde
            h.changeColCost(j, 0.0)
    uit = pd.DataFrame({"cel": doelen, "onder": uit_onder, "boven": uit_boven, "exact": exact})
    if bindend:
        uit["bindend"] = [b if b is not None else np.zeros(0, dtype=int) for b in uit_bindend]
    return uit


def beoordeel(iv: pd.DataFrame, primair: np.ndarray, minimum: int) -> pd.DataFrame:
    """Verdict per suppressed cell: pinned (its interval holds one integer), and for primary cells whether
    the interval reaches `minimum` and is at least `minimum` wide (the protection level)."""
    eps = 1e-6
    laag = np.ceil(iv["onder"].to_numpy() - eps)
    hoog = np.floor(iv["boven"].to_numpy() + eps)
    uit = iv.assign(primair=primair, breedte=hoog - laag)
    uit["vastgepind"] = uit["breedte"] < 1
    uit["te_smal"] = primair & ((hoog < minimum) | (uit["breedte"] < minimum))
    return uit
