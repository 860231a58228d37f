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

import logging
import os
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from hermelding.statistiek import wilson

DECIMALEN = 1  # every public percentage, bound and rate: one decimal


# --- ratios: only from public counts -----------------------------------------------------------------


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
                waarde = wilson(x, n, -1)
            elif soort == "wilson_boven":
                waarde = wilson(x, n, +1)
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
    # (kind, ouder) region codes (municipality -> VT region -> total) and, in cellen, each cell's `regiocode`:
    # the hierarchy the HiTaS decomposition splits a large block along (`deeltabellen`)
    regio_ouder: pd.DataFrame | None = None
    # a block on its own (`blokmodellen`): its number in the whole model, for messages to the operator
    blok: int | None = None


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
        # sorted, not a set's order: that changes with Python's hash seed per process, and the order of the relations
        # decides HiGHS' ties, so the same data would be protected differently from one run to the next
        for soort, teller, noemer in sorted(set(spec.afgeleid.values())):
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
    eigenschappen = ["sleutel", "mart", "kolom", "waarde", *(["regiocode"] if "regiocode" in lang else [])]
    cellen = lang.drop_duplicates("sleutel")[eigenschappen].reset_index(drop=True)
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

    return Model(cellen=cellen, rijcellen=rijcellen, gelijk=matrix(gelijk), ongelijk=matrix(ongelijk),
                 regio_ouder=regio_ouder if regio_ouder is not None and "regiocode" in cellen else None)


def deelmodel(model: Model, cellen: np.ndarray) -> Model:
    """The cells `cellen` with only the relations wholly among them: a HiTaS subtable on its own."""
    binnen = np.zeros(len(model.cellen), dtype=bool)
    binnen[cellen] = True

    def deel(m: sparse.csr_matrix) -> sparse.csr_matrix:
        if m.shape[0] == 0:
            return sparse.csr_matrix((0, len(cellen)))
        lid = abs(m).astype(bool).tocsr()
        rijen = np.flatnonzero((lid[:, ~binnen].getnnz(axis=1) == 0) & (lid.getnnz(axis=1) > 0))
        return m[rijen][:, cellen].tocsr()

    eigen = model.cellen.iloc[cellen].reset_index(drop=True).assign(cel=np.arange(len(cellen)))
    return Model(cellen=eigen, rijcellen=model.rijcellen.iloc[:0], gelijk=deel(model.gelijk),
                 ongelijk=deel(model.ongelijk), blok=model.blok)


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

    # with the region hierarchy (the caller's, covering both releases' regions): a block too large for one LP or
    # MILP is split into its HiTaS subtables with a frozen release as without one
    model = Model(cellen=cellen, rijcellen=nu.rijcellen, gelijk=samen(nu.gelijk, oud.gelijk),
                  ongelijk=samen(nu.ongelijk, oud.ongelijk), regio_ouder=nu.regio_ouder)
    exact = np.r_[np.asarray(nu_exact, dtype=float), exact_oud[~zelfde]]
    toen = np.full(totaal, np.nan)
    toen[naar] = oud.cellen["waarde"].to_numpy(dtype=float)
    in_oud = np.zeros(totaal, dtype=bool)
    in_oud[naar] = True
    return model, {"exact": exact, "toen": toen, "in_oud": in_oud, "gelijk_gebleven": int(zelfde.sum())}


class InconsistentPublicTables(ValueError):
    """A statistic published in several places (Specificatie.cellen_van) has different values or statuses there:
    the tables contradict each other, so they cannot be checked (or published)."""


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
        raise InconsistentPublicTables(f"Disclosure: {int(verschil.sum())} statistic(s) are published with different values (or "
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


def blokmodellen(model: Model, blokken: np.ndarray | None = None, blok: np.ndarray | None = None):
    """(block number, its cells, the block on its own as a Model with the region hierarchy) for each block in
    `blokken` (default: every block), in order. A block's relations are all among its own cells, so the block
    model has every relation that touches them: what is computed on it is what the whole model gives for them.
    `blok`: the caller's `_blokken(model)`, if it has it (not computed twice)."""
    blok = _blokken(model) if blok is None else blok
    if blokken is None:
        blokken = np.unique(blok)
    rijen = {}
    for naam, m in (("gelijk", model.gelijk), ("ongelijk", model.ongelijk)):
        m = m.tocsr()
        gevuld = np.flatnonzero(np.diff(m.indptr) > 0)
        rij_blok = blok[m.indices[m.indptr[gevuld]]] if len(gevuld) else np.zeros(0, dtype=int)
        volgorde = np.argsort(rij_blok, kind="stable")
        rij_blok, gevuld = rij_blok[volgorde], gevuld[volgorde]
        rijen[naam] = (m, rij_blok, gevuld)
    cel_volgorde = np.argsort(blok, kind="stable")
    cel_blok = blok[cel_volgorde]
    for b in blokken:
        kol = cel_volgorde[np.searchsorted(cel_blok, b, "left"):np.searchsorted(cel_blok, b, "right")]
        delen = {}
        for naam, (m, rij_blok, gevuld) in rijen.items():
            r = np.sort(gevuld[np.searchsorted(rij_blok, b, "left"):np.searchsorted(rij_blok, b, "right")])
            delen[naam] = m[r][:, kol].tocsr()
        eigen = model.cellen.iloc[kol].reset_index(drop=True).assign(cel=np.arange(len(kol)))
        yield b, kol, Model(cellen=eigen, rijcellen=model.rijcellen.iloc[:0], gelijk=delen["gelijk"],
                            ongelijk=delen["ongelijk"], regio_ouder=model.regio_ouder, blok=int(b))


def memo_delen(model: Model) -> list:
    """What, besides values, decides a block's result, for a memo key (hermelding/disclosure_memo.py): the cells'
    identities and regions, the relations in order, the region hierarchy."""
    ro = model.regio_ouder
    return [model.cellen["sleutel"].astype(str).to_numpy(),
            model.cellen["regiocode"].astype(str).to_numpy() if "regiocode" in model.cellen else None,
            model.gelijk, model.ongelijk,
            None if ro is None else ro["kind"].astype(str).to_numpy(),
            None if ro is None else ro["ouder"].astype(str).to_numpy()]


def quiet_highs():
    """A HiGHS instance that prints nothing: highspy writes its banner to the process's stdout while it is
    constructed, before any option can be set, which broke `--stil` runs (cron mails every night)."""
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    return h


# a larger block is checked (and protected, hermelding/disclosure_milp.py) per HiTaS subtable (`deeltabellen`,
# docs/openbaarmaking.md): one LP per suppressed cell costs time in proportion to its block, and a national
# year of D1 is one block of 368 regions x 7 periods x 9 counts = 23,184 cells. The demo's largest block has
# 1,274 cells (D2's cohort, monthly curve and besluit tables together), so the demo stays with whole-block LPs.
# Three regions' monthly curve (blocks of ~2,800 cells through NL01) took 69 s whole and 36 s per subtable, with
# 0.6% more meldingen hidden (the national set's VT02, VT08 and VT15 with their NL01); the three-region test's
# dbt build 213 s before, 159 s after.
MAX_CELLEN_LP = 2_000


# Blocks are independent: computed in worker processes when there are several and together at least this many
# cells (below it, starting the processes costs more than it saves). `processen` comes from hermelding.toml
# (disclosure_processen; the dbt Python models read it from PROCESSEN_ENV, set by hermelding/build.py).
PARALLEL_MIN_CELLEN = 20_000
PROCESSEN_ENV = "HERMELDING_DISCLOSURE_WORKERS"  # not the config override HERMELDING_DISCLOSURE_PROCESSEN


def processen(ingesteld: int | None = None) -> int:
    """Worker processes for disclosure blocks: the configured number (0: one per core), or the environment's."""
    if ingesteld is None:
        ingesteld = int(os.environ.get(PROCESSEN_ENV) or 1)
    kernen = os.cpu_count() or 1
    return max(1, min(ingesteld, kernen) if ingesteld > 0 else kernen)  # more workers than cores gain nothing


def per_proces(functie, taken: list, omvang: list[int], aantal: int) -> tuple[list, bool]:
    """[functie(taak) for taak in taken], in `aantal` worker processes when it pays (`PARALLEL_MIN_CELLEN`),
    largest first; returns (the results in the order of `taken`, whether they came from workers). Each block's
    result is computed exactly as in this process: the pattern does not depend on how many processes ran.
    Workers are started with 'spawn' (not fork: this process may hold threads, dbt's and HiGHS')."""
    if aantal <= 1 or len(taken) < 2 or sum(omvang) < PARALLEL_MIN_CELLEN:
        return [functie(t) for t in taken], False
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    volgorde = sorted(range(len(taken)), key=lambda i: -omvang[i])
    niveau = logging.getLogger("hermelding").getEffectiveLevel()
    with ProcessPoolExecutor(max_workers=min(aantal, len(taken)), mp_context=multiprocessing.get_context("spawn"),
                             initializer=_stille_werker, initargs=(niveau,)) as pool:
        uit = dict(zip(volgorde, pool.map(functie, [taken[i] for i in volgorde]), strict=True))
    return [uit[i] for i in range(len(taken))], True


def _stille_werker(niveau: int) -> None:
    """A worker logs nothing itself: the records a block gives are returned with its result and logged by the
    parent (`logs_kept`), once, where the operator's log goes."""
    logger = logging.getLogger("hermelding")
    logger.setLevel(niveau)
    logger.propagate = False
    logger.addHandler(logging.NullHandler())


@contextmanager
def logs_kept():
    """Collects (level, message) of every record of the hermelding loggers inside it, from this thread only: dbt
    runs two Python models at once, and one model's warning must not be stored with the other's block (a block
    from the memo would repeat it as its own)."""
    records: list[tuple[int, str]] = []
    draad = threading.get_ident()

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.thread == draad:
                records.append((record.levelno, record.getMessage()))

    handler, logger = Keep(level=logging.DEBUG), logging.getLogger("hermelding")
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def log_again(logger, records, suffix: str = "") -> None:
    """Log (level, message) records a worker (or an earlier build) collected, at their level, on `logger`."""
    for niveau, tekst in records:
        logger.log(int(niveau), "%s%s", tekst, suffix)


class AttackerLPError(RuntimeError):
    """HiGHS gave no optimal answer for an attacker LP: the cells concerned cannot be verified, so nothing may
    be published. The message names the table(s) and the block for the operator."""


def deeltabellen(model: Model, kol: np.ndarray) -> list[tuple[str, np.ndarray, np.ndarray]] | None:
    """The HiTaS subtables of the cells `kol`, top-down: (parent code, the subtable's cells = the parent's
    and its children's, the parent's cells). The total with the VT regions first, then each region with its
    municipalities. None when the hierarchy is unknown or some cell of `kol` lies in no subtable."""
    ro = model.regio_ouder
    if ro is None or not len(ro) or "regiocode" not in model.cellen:
        return None
    code = model.cellen["regiocode"].astype(str).to_numpy()[kol]
    kinderen = ro.groupby("ouder")["kind"].agg(list)
    diepte: dict[str, int] = {}
    niveau, d = [p for p in kinderen.index if p not in set(ro["kind"])], 0
    while niveau:
        for p in niveau:
            diepte.setdefault(p, d)
        niveau = [k for p in niveau for k in kinderen[p] if k in kinderen.index and k not in diepte]
        d += 1
    delen, gedekt = [], np.zeros(len(kol), dtype=bool)
    for p in sorted(diepte, key=lambda p: (diepte[p], p)):
        in_deel = np.isin(code, [p, *kinderen[p]])
        if in_deel.any():
            gedekt |= in_deel
            delen.append((p, kol[in_deel], kol[code == p]))
    return delen if gedekt.all() else None


def _componenten(a: sparse.csr_matrix) -> tuple[int, np.ndarray, np.ndarray]:
    """Connected components of the columns and rows of `a` (rows link their columns)."""
    b = abs(a).astype(bool).astype(np.int8)
    graaf = sparse.bmat([[sparse.csr_matrix((a.shape[1], a.shape[1]), dtype=np.int8), b.T], [b, None]])
    n, labels = connected_components(graaf, directed=False)
    return n, labels[:a.shape[1]], labels[a.shape[1]:]


def _naam(model: Model, kol: np.ndarray, blok: int, deel: str | None) -> str:
    blok = blok if model.blok is None else model.blok  # a block model: its number in the whole model
    marts = ", ".join(sorted(pd.unique(model.cellen["mart"].to_numpy()[kol]).astype(str)))
    return f"table {marts}, block {blok} ({len(kol)} cells" + (f", subtable of {deel})" if deel else ")")


def intervallen(model: Model, getoond: np.ndarray, marge: int, doelen: np.ndarray,
                bindend: bool = False, eis: float | None = None, anker: np.ndarray | None = None,
                memo=None, processen: int = 1) -> pd.DataFrame:
    """For each target cell (index into model.cellen) the smallest and largest true value consistent
    with everything public: shown cells (getoond, NaN = suppressed) within ±marge and >= 0, suppressed
    cells >= 0, all relations. Returns cel, onder, boven (boven = inf when unbounded); with `bindend` also
    `bindend`: per cell the shown cells whose rounding interval limits its interval (non-zero reduced cost in
    the min or max LP): only suppressing one of them can widen it.

    With `eis` (the protection level) the intervals are only computed as far as a verdict needs: two LPs
    push all target cells down and up at once; a cell whose values in those two feasible solutions already
    span `eis` and reach it (so its true interval does too) keeps that range (`exact` False); then pushes in
    random directions; the cells still undecided get their own LPs, and every optimum found on the way (a
    feasible point) widens the known range of the others, so a cell is skipped, or its maximum is, as soon
    as the points seen decide it. A cell found under-protected always has both exact LPs (and `bindend`).

    A block of more than `MAX_CELLEN_LP` cells is, given `anker` (the true counts) and the region hierarchy,
    checked per HiTaS subtable (`deeltabellen`): for a target in subtable S the LP keeps S free and fixes
    the shown cells further away at their true value. That is the attacker's LP with extra constraints that
    the truth satisfies, so every point it finds is consistent with everything public: the interval it gives
    lies inside the attacker's interval (`exact` False), and a cell it finds protected is protected. First
    with the suppressed cells of S and its neighbouring subtables (the one above, those below) free besides
    S; a cell that does not pass then gets the LP with the neighbouring subtables wholly free (their rounding
    room) and every suppressed cell of the block. Only the rounding room of shown cells in subtables that do
    not neighbour S is left out (for the top subtable nothing: its neighbours are all others).

    A HiGHS status other than optimal or unbounded (after one fresh solve) raises AttackerLPError naming
    the table and block.

    `memo` (hermelding/disclosure_memo.py `Memo`, not with `bindend`): each block's intervals are stored under a
    hash of everything they are computed from, and a block asked again with the same input is read back
    instead of solved; the intervals of one block depend on nothing outside it. `processen`: worker processes for
    the blocks to compute (`per_proces`), with the memo only."""
    getoond = np.asarray(getoond, dtype=float)
    doelen = np.asarray(doelen, dtype=int)
    if memo is not None and memo.folder is not None and not bindend:
        return _intervallen_per_blok(model, getoond, marge, doelen, eis, anker, memo, processen)
    onder_c = np.where(np.isnan(getoond), 0.0, np.maximum(getoond - marge, 0.0))
    boven_c = np.where(np.isnan(getoond), np.inf, getoond + marge)
    alle = sparse.vstack([model.gelijk, model.ongelijk]).tocsr()
    n_gelijk = model.gelijk.shape[0]
    rij_onder = np.r_[np.zeros(n_gelijk), np.zeros(model.ongelijk.shape[0])]
    rij_boven = np.r_[np.zeros(n_gelijk), np.full(model.ongelijk.shape[0], np.inf)]
    blok = _blokken(model)
    rij_blok = blok[alle.indices[alle.indptr[:-1]]] if alle.shape[0] else np.array([], dtype=int)
    eis_doel = None if eis is None else np.broadcast_to(np.asarray(eis, dtype=float), doelen.shape)
    uit = {"onder": np.full(len(doelen), np.nan), "boven": np.full(len(doelen), np.nan),
           "bindend": [None] * len(doelen), "exact": np.ones(len(doelen), dtype=bool)}

    def los(kol, rijen, r_onder, r_boven, hier, naam):
        sub = alle[rijen][:, kol]
        _los_lp(sub.tocsc(), onder_c[kol], boven_c[kol], r_onder, r_boven, kol, getoond[kol],
                doelen[hier], hier, None if eis_doel is None else eis_doel[hier], bindend, plafond, uit, naam)

    for b in np.unique(blok[doelen]):
        kol = np.flatnonzero(blok == b)
        hier = np.flatnonzero(blok[doelen] == b)
        # a finite box for the joint pushes, above every value the block's cells can take (from the block alone,
        # so that a block's intervals depend on nothing outside it)
        plafond = (np.nansum(np.where(np.isnan(getoond[kol]), 0, getoond[kol]))
                   + 10 * float(np.max(eis_doel[hier]) if eis_doel is not None else 1) + 10)
        delen = deeltabellen(model, kol) if len(kol) > MAX_CELLEN_LP and anker is not None else None
        if delen is None:
            rijen = np.flatnonzero(rij_blok == b)
            los(kol, rijen, rij_onder[rijen], rij_boven[rijen], hier, _naam(model, kol, b, None))
            continue
        anker = np.asarray(anker, dtype=float)
        onderdrukt = kol[np.isnan(getoond[kol]) | np.isnan(anker[kol])]  # free in every subtable's LP
        ouder_deel = {i: next((j for j, (_q, s2, _) in enumerate(delen) if j != i and len(o) and np.isin(o, s2).all()),
                              None) for i, (_p, _s, o) in enumerate(delen)}
        open_ = np.ones(len(hier), dtype=bool)
        for ronde in (1, 2):
            for i, (p, s, o) in enumerate(delen):
                eigen = np.isin(doelen[hier], s) & open_
                if ouder_deel[i] is not None:  # the parent's cells are the targets of the upper subtable
                    eigen &= ~np.isin(doelen[hier], o)
                if not eigen.any():
                    continue
                buur = {j for j in range(len(delen)) if ouder_deel[j] == i or j == ouder_deel[i]}
                buren = np.concatenate([s, *(delen[j][1] for j in buur)]) if buur else s
                # round 1: S and the suppressed cells of S and its neighbouring subtables; round 2: all of the
                # neighbouring subtables (their rounding room) and every suppressed cell of the block
                vrij = np.union1d(s, np.intersect1d(onderdrukt, buren) if ronde == 1 else np.union1d(buren, onderdrukt))
                vast = np.setdiff1d(kol, vrij)
                blokrijen = np.flatnonzero(rij_blok == b)
                deel_a = alle[blokrijen]
                rijen = blokrijen[deel_a[:, vrij].getnnz(axis=1) > 0]
                verschuiving = alle[rijen][:, vast] @ anker[vast] if len(vast) else np.zeros(len(rijen))
                _, lab_kol, lab_rij = _componenten(alle[rijen][:, vrij].tocsr())
                for comp in np.unique(lab_kol[np.isin(vrij, doelen[hier[eigen]])]):
                    c_kol, c_rij = vrij[lab_kol == comp], lab_rij == comp
                    binnen = eigen & np.isin(doelen[hier], c_kol)
                    los(c_kol, rijen[c_rij], rij_onder[rijen[c_rij]] - verschuiving[c_rij],
                        rij_boven[rijen[c_rij]] - verschuiving[c_rij], hier[binnen],
                        _naam(model, kol, b, f"{p}, {'suppressed cells nearby' if ronde == 1 else 'neighbouring subtables and all suppressed cells'} free"))
                    uit["exact"][hier[binnen]] = False
                if ronde == 1 and eis_doel is not None:
                    # a cell that passes here passes in the attacker's full LP; the others get round 2
                    h = hier[eigen]
                    open_[eigen] = ~_bereikt(uit["onder"][h], uit["boven"][h], eis_doel[h])
            if eis_doel is None or not open_.any():
                break
    tabel = pd.DataFrame({"cel": doelen, "onder": uit["onder"], "boven": uit["boven"], "exact": uit["exact"]})
    if bindend:
        tabel["bindend"] = [b if b is not None else np.zeros(0, dtype=int) for b in uit["bindend"]]
    return tabel


def _intervallen_per_blok(model: Model, getoond, marge, doelen, eis, anker, memo, processen=1) -> pd.DataFrame:
    """`intervallen` block by block through the memo (see there); the blocks not in it in `processen` workers."""
    eis_doel = None if eis is None else np.broadcast_to(np.asarray(eis, dtype=float), doelen.shape)
    uit = pd.DataFrame({"cel": doelen, "onder": np.nan, "boven": np.nan, "exact": True})
    blok = _blokken(model)
    positie = np.full(len(model.cellen), -1)
    taken, nieuw = [], []
    for b, kol, sub in blokmodellen(model, np.unique(blok[doelen]), blok):
        hier = np.flatnonzero(blok[doelen] == b)
        positie[kol] = np.arange(len(kol))
        lokaal = positie[doelen[hier]]
        eis_b = None if eis_doel is None else np.ascontiguousarray(eis_doel[hier])
        anker_b = None if anker is None else np.asarray(anker, dtype=float)[kol]
        sleutel = memo.key("intervallen", marge, MAX_CELLEN_LP, RICHTINGEN, getoond[kol], lokaal, eis_b, anker_b,
                           *memo_delen(sub))
        bewaard = memo.get(sleutel, {k: ((len(hier),), soort) for k, soort in
                                     (("onder", "f"), ("boven", "f"), ("exact", "b"))})
        if bewaard is None:
            taken.append((sub, getoond[kol], marge, lokaal, eis_b, anker_b))
            nieuw.append((hier, sleutel))
        else:
            for k in ("onder", "boven", "exact"):
                uit.loc[hier, k] = bewaard[k]
    berekend, in_werkers = per_proces(_interval_taak, taken, [len(t[1]) for t in taken], processen)
    for (hier, sleutel), (bewaard, records) in zip(nieuw, berekend, strict=True):
        if in_werkers:
            log_again(logging.getLogger(__name__), records)
        memo.put(sleutel, **bewaard)
        for k in ("onder", "boven", "exact"):
            uit.loc[hier, k] = bewaard[k]
    uit["exact"] = uit["exact"].astype(bool)
    return uit


def _interval_taak(taak) -> tuple[dict, list[tuple[int, str]]]:
    """One block's intervals, as the memo stores them, with its log records (module level: a worker runs it)."""
    sub, getoond, marge, lokaal, eis, anker = taak
    with logs_kept() as records:
        iv = intervallen(sub, getoond, marge, lokaal, eis=eis, anker=anker)
    return {k: iv[k].to_numpy() for k in ("onder", "boven", "exact")}, records


def _bereikt(laag, hoog, eis):
    """Whether a range of feasible values (laag..hoog) already meets the protection level `eis`: the integer test
    of `beoordeel` (a range 56.25..57.5 is 1.25 wide but holds one integer only, so judged on it the cell would
    look pinned while its true interval is wider)."""
    laag_heel, hoog_heel = np.ceil(laag - 1e-6), np.floor(hoog + 1e-6)
    return (hoog_heel - laag_heel >= eis) & (hoog_heel >= eis)


# at most this many random-direction pushes per connected set before the per-cell LPs (stopping earlier when
# a push pair decides fewer than 5% of the open cells): on the demo they cut the per-cell LPs from 2,700 to 900
RICHTINGEN = 10


def _los_lp(a, onder_k, boven_k, r_onder, r_boven, kol, getoond_k, doel_cellen, hier, eis_hier, bindend,
            plafond, uit, naam):
    """The LPs of one connected set of cells `kol` (columns of `a`, bounds onder_k/boven_k; rows between
    r_onder and r_boven): the interval of each target `doel_cellen` (cell numbers), written into `uit` at
    positions `hier`."""
    import highspy

    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(kol), a.shape[0]
    lp.col_cost_ = np.zeros(len(kol))
    lp.col_lower_, lp.col_upper_ = onder_k, np.where(np.isinf(boven_k), inf, boven_k)
    lp.row_lower_ = np.where(np.isinf(r_onder), -inf, r_onder)
    lp.row_upper_ = np.where(np.isinf(r_boven), inf, r_boven)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    h = quiet_highs()
    h.setOptionValue("presolve", "off")  # keep the basis between solves: only the objective changes
    h.setOptionValue("simplex_strategy", 4)  # primal simplex: the previous optimum stays feasible
    h.passModel(lp)
    positie = pd.Series(np.arange(len(kol)), index=kol)
    doel_j = positie[doel_cellen].to_numpy().astype(np.int32)

    def run():
        h.run()
        status = h.getModelStatus()
        if status not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kUnbounded):
            h.clearSolver()  # once more from scratch, with presolve, before giving up
            h.setOptionValue("presolve", "on")
            h.run()
            h.setOptionValue("presolve", "off")
            status = h.getModelStatus()
        return status

    volgorde = np.arange(len(doel_cellen))
    if eis_hier is not None:
        # a finite box for the joint solves (a cell unbounded above would make 'push all up' unbounded)
        vrij = np.flatnonzero(np.isinf(boven_k)).astype(np.int32)
        if len(vrij):
            h.changeColsBounds(len(vrij), vrij, onder_k[vrij], np.full(len(vrij), plafond))
        laag = np.full(len(doel_cellen), np.inf)
        hoog = np.full(len(doel_cellen), -np.inf)
        open_ = np.ones(len(doel_cellen), dtype=bool)

        def duw(gewicht_fn, drempel):
            """Push the undecided cells with weights gewicht_fn(n) down and up (each optimum widens laag/hoog of
            every target); the cells still undecided, and whether fewer than `drempel` of them were decided."""
            nonlocal laag, hoog
            j_open = doel_j[open_]
            gewicht = gewicht_fn(len(j_open))
            for teken in (1.0, -1.0):
                h.changeColsCost(len(j_open), j_open, teken * gewicht)
                if run() == highspy.HighsModelStatus.kOptimal:
                    x = np.asarray(h.getSolution().col_value)[doel_j]
                    laag, hoog = np.minimum(laag, x), np.maximum(hoog, x)
                h.changeColsCost(len(j_open), j_open, np.zeros(len(j_open)))
            nog = open_ & ~_bereikt(laag, hoog, eis_hier)
            return nog, nog.sum() > (1 - drempel) * open_.sum()

        while open_.any():  # push the still undecided cells down and up together, until few are decided
            open_, klaar = duw(np.ones, 0.2)
            if klaar:
                break
        # then pushes in random directions (some cells down, others up; seeded, so a run is reproducible):
        # each optimum is another extreme point, and most cells the sum could not decide are decided by one
        rng = np.random.default_rng(0)
        for _ in range(RICHTINGEN):
            if not open_.any():
                break
            open_, weinig = duw(lambda n: rng.choice([-1.0, 1.0], size=n) * rng.uniform(0.5, 1.5, size=n), 0.05)
            if weinig:
                break
        if len(vrij):
            h.changeColsBounds(len(vrij), vrij, onder_k[vrij], np.full(len(vrij), inf))
        genoeg = ~open_
        uit["onder"][hier[genoeg]], uit["boven"][hier[genoeg]] = laag[genoeg], hoog[genoeg]
        uit["exact"][hier[genoeg]] = False
        volgorde = np.flatnonzero(open_)
    def beslist(i):
        return bool(_bereikt(laag[i], hoog[i], eis_hier[i]))

    for i in volgorde:
        j = int(doel_j[i])
        if eis_hier is not None and beslist(i):
            # an earlier cell's optimum (a feasible point) already spans the protection level for this one
            uit["onder"][hier[i]], uit["boven"][hier[i]] = laag[i], hoog[i]
            uit["exact"][hier[i]] = False
            continue
        for teken in (1.0, -1.0):
            if teken < 0 and eis_hier is not None and beslist(i):
                # its exact minimum and some feasible point suffice for the verdict: the maximum is not needed
                uit["boven"][hier[i]] = hoog[i]
                uit["exact"][hier[i]] = False
                break
            h.changeColCost(j, teken)
            status = run()
            if status == highspy.HighsModelStatus.kOptimal:
                waarde = teken * h.getInfo().objective_function_value
                if eis_hier is not None:
                    # every optimum is a point consistent with everything public: it widens what is known of
                    # the other undecided cells, which then need fewer LPs of their own
                    x = np.asarray(h.getSolution().col_value)[doel_j]
                    laag, hoog = np.minimum(laag, x), np.maximum(hoog, x)
                    if teken > 0:
                        laag[i] = waarde
            elif status == highspy.HighsModelStatus.kUnbounded:
                waarde = -teken * np.inf
            else:
                raise AttackerLPError(
                    f"Attacker LP for {naam}: HiGHS status '{h.modelStatusToString(status)}' for one of its "
                    f"suppressed cells, also after a fresh solve. Its protection cannot be verified, so nothing "
                    f"is published. If the status is 'Infeasible', the public table contradicts its own "
                    f"relations (check hermelding/disclosure.py SPECIFICATIES against the mart); otherwise "
                    f"rerun, and report it with the build log if it persists.")
            if bindend and status == highspy.HighsModelStatus.kOptimal:
                dual = np.abs(np.asarray(h.getSolution().col_dual)) > 1e-9
                grens = kol[dual]
                nieuw = grens[~np.isnan(getoond_k[dual])]
                k = hier[i]
                uit["bindend"][k] = nieuw if uit["bindend"][k] is None else np.union1d(uit["bindend"][k], nieuw)
            if teken > 0:
                uit["onder"][hier[i]] = waarde
            else:
                uit["boven"][hier[i]] = waarde
        h.changeColCost(j, 0.0)


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
