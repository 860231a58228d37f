"""Disclosure control for public marts, as CBS does for Veilig Thuis figures (docs/openbaarmaking.md).

- Counts are rounded to multiples of `afronding` (5); a count below `minimum` (10) after rounding is
  suppressed (primary suppression).
- All public cells of a table are protected as one linked set: every additive relation that holds in the
  data (within a row, a region and its municipalities, a period and its sub-periods, a statistic repeated
  in several rows) is derived from the table's `Specificatie` (hermelding/attack.py `bouw_model`).
  Secondary suppression is chosen by a mixed-integer model (hermelding/disclosure_milp.py) and verified
  with the attacker's linear programme (hermelding/attack.py) before it is accepted.
- A small residual class (`niet_ingedeeld`) is not published per cell: the total includes it, as CBS
  footnotes, so it never forces a headline cell to be hidden.
- Every percentage, interval bound and rate is computed from the published (rounded) counts, to one
  decimal, and is empty when any of its counts is.
- Publicly an empty cell carries one flag value, `onderdrukt` (or `niet_openbaar` for what the table never
  shows); whether it was primary or secondary stays internal.
- A new release is protected together with the latest frozen one (`bevroren`): a closed statistic
  (`Specificatie.afgesloten`) unchanged since then is one cell in both and keeps what that release did with it.

The mart-specific part (which columns, which groups) is a `Specificatie`; the engine works on a long table of
cells and sparse matrices, so no Python loop runs over rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from hermelding.reference import d1_groepen, d1_tellingen

# public flag values (one symbol for every suppression, as CBS' "."):
VLAG_ONDERDRUKT = "onderdrukt"  # suppressed, or a ratio of a suppressed count
VLAG_NIET_OPENBAAR = "niet_openbaar"  # never shown in this table (residual class, published elsewhere, ...)
# internal reasons (only in the engine's report, never in a public table):
VLAG_PRIMAIR = "primair"  # below the minimum after rounding
VLAG_SECUNDAIR = "secundair"  # suppressed so that another cell cannot be recovered


@dataclass(frozen=True)
class Specificatie:
    sleutel: tuple[str, ...]  # columns identifying a row, e.g. (regiocode, periode)
    tellingen: tuple[str, ...]  # count columns to round and protect
    # additive groups within a row: (total column, (part columns...))
    rij_groepen: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # ratio column -> (formula, numerator, denominator): aandeel (100 x), per_1000, wilson_onder/_boven
    # (hermelding/attack.py `verhoudingen`), always on the published counts
    afgeleid: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    geografisch: bool = True  # region = sum of its municipalities (needs regiotype/regiocode + ouder_regio)
    periodiek: bool = False  # year = half years, half year = quarters (needs periode_kolom)
    periode_kolom: str = "periode"
    # the period relation holds only for rows where these columns have these values (disjoint cohorts)
    periodiek_als: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # count columns that count persons by their first appearance in the period (macro eerste_optreden_per_periode),
    # on the rows where the period relation above does not hold (all rows when `periodiek` is false): a person in
    # both half years is one person in the year, counted under the first one, so the first sub-period <= the
    # period <= the sum of its sub-periods (hermelding/attack.py; also a half year and its quarters)
    personen: tuple[str, ...] = ()
    # residual classes: in the total, never shown per cell (the row relation becomes total >= shown classes)
    residu: tuple[str, ...] = ()
    # columns this table never shows (published in another table, or not a function of public counts)
    niet_openbaar: tuple[str, ...] = ()
    # count column -> key columns it does not depend on (one statistic repeated over those rows)
    vast_over: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # ratio column -> boolean column that must be true for the ratio to be published
    voorwaarde: dict[str, str] = field(default_factory=dict)
    # count column -> (key column, +1 rising / -1 falling along it): inequalities the attacker knows
    monotoon: dict[str, tuple[str, int]] = field(default_factory=dict)
    # another mart whose cells this table repeats: a count under the same column and key is one statistic (one
    # cell for the attacker, hermelding/attack.py), and both tables must publish it identically
    cellen_van: str | None = None
    # boolean column: true where the row's counts can no longer change with later data (a fully delivered period,
    # a cohort with complete follow-up); such a statistic is the same in a later release (hermelding/attack.py
    # `met_bevroren`). None: a value that did not change counts as the same statistic.
    afgesloten: str | None = None


def openbaar(frame: pd.DataFrame, spec: Specificatie, afronding: int = 5, minimum: int = 10,
             regio_ouder: pd.DataFrame | None = None, verslag: dict | None = None,
             bevroren: tuple[pd.DataFrame, pd.DataFrame] | None = None,
             bron: dict[str, tuple[pd.DataFrame, pd.DataFrame]] | None = None,
             bevroren_verwant: dict[str, tuple[pd.DataFrame, pd.DataFrame]] | None = None,
             mart: str = "t") -> pd.DataFrame:
    """The public variant of a mart: counts rounded and protected as one linked set (secondary suppression
    by optimisation, hermelding/disclosure_milp.py), every ratio recomputed from the published counts
    (hermelding/attack.py `verhoudingen`), and one public flag value per empty cell (`VLAG_ONDERDRUKT`, or
    `VLAG_NIET_OPENBAAR` for what this table never publishes). The reason for a suppression stays internal:
    pass a dict as `verslag` to receive the figures and the per-cell reasons.

    `bevroren`: the latest frozen release's (exact, public) frames of this table: the new table is protected
    together with it, and a statistic unchanged since then keeps what that release did with it (suppressed stays
    suppressed, shown stays shown: the attacker has it), hermelding/attack.py `met_bevroren`.

    `bron`: mart -> (exact, public) frames of tables already protected whose cells this table repeats
    (`spec.cellen_van`) or that share relations with them: they are part of the model with all their relations,
    every one of their cells keeps what its table did with it (suppressed stays suppressed, shown stays shown, same
    value), and this table's cells are protected around them (`openbare_mart_naast`).

    `bevroren_verwant`: the frozen release's (exact, public) frames of the tables whose cells are linked to this
    table's (`verwante_marts`). The attacker holds those too: their cells and relations are part of the model as
    the frozen release published them, so this table is protected against everything the release audit combines.
    (With only its own frozen frames, e.g. D1 without the frozen "eerder gezien" table that bounds D1's cells, a
    new delivery after a freeze made the audit refuse the run.)

    `mart`: the mart's name. A cell is named after its table (or the table it repeats, `cellen_van`), so with the
    real name this table's cells are the same cells as a linked table's that repeat them, as in the audit."""
    from hermelding import attack
    from hermelding.disclosure_memo import Memo
    from hermelding.disclosure_milp import kies_onderdrukking

    # ratios, and other non-count columns the table never shows (their counts are not public)
    ratio_kolommen = [*spec.afgeleid, *(k for k in spec.niet_openbaar if k not in spec.tellingen and k not in spec.afgeleid)]
    vlaggen = [f"{k}_vlag" for k in (*spec.tellingen, *ratio_kolommen)]
    if frame.empty:
        uit = frame.copy()
        for v in vlaggen:
            uit[v] = pd.Series(dtype="string")
        return uit
    # a fixed row order: ties between equal cells are broken by cell number, so the same input must give
    # the same cells whatever order the database returned the rows in
    frame = _op_sleutel(frame, spec)
    tabellen = {mart: (frame, spec)}
    for naam, (exact_bron, _) in (bron or {}).items():
        tabellen[naam] = (_op_sleutel(exact_bron, SPECIFICATIES[naam]), SPECIFICATIES[naam])
    model = attack.bouw_model(tabellen, regio_ouder)
    waarde = model.cellen["waarde"].to_numpy(dtype=float)
    vast_onderdrukt = vast_getoond = None
    # the frozen release's frames of this table and of the tables linked to it, as the audit combines them
    oud_delen = {mart: (bevroren, spec)} if bevroren is not None else {}
    oud_delen.update({naam: (frames, SPECIFICATIES[naam]) for naam, frames in (bevroren_verwant or {}).items()})
    oud_delen = {naam: (frames, s) for naam, (frames, s) in oud_delen.items() if len(frames[1])}
    if oud_delen:
        oud = attack.bouw_model({naam: (_op_sleutel(f[1], s), s) for naam, (f, s) in oud_delen.items()}, regio_ouder)
        exact_tabellen = {naam: (_op_sleutel(f[0], s), s) for naam, (f, s) in oud_delen.items()}
        exact = attack.bouw_model(exact_tabellen, regio_ouder)
        model, samen = attack.met_bevroren(model, waarde, oud, exact.cellen.set_index("sleutel")["waarde"],
                                           attack.afgesloten(exact, exact_tabellen))
        waarde = samen["exact"]
        vast_getoond = samen["in_oud"] & ~np.isnan(samen["toen"])
        vast_onderdrukt = samen["in_oud"] & np.isnan(samen["toen"])
    if bron:
        getoond_daar, onderdrukt_daar = _vast_door_bron(model, waarde, bron, afronding)
        vast_getoond = getoond_daar if vast_getoond is None else (np.asarray(vast_getoond, dtype=bool) | getoond_daar)
        vast_onderdrukt = (onderdrukt_daar if vast_onderdrukt is None
                           else (np.asarray(vast_onderdrukt, dtype=bool) | onderdrukt_daar))
    _controleer_relaties(model, waarde)
    afgerond = afronding * np.floor(waarde / afronding + 0.5)
    primair = afgerond < minimum
    # a block without a cell of this table decides nothing here (e.g. another definition's rows of a linked table,
    # protected there): it is left alone, and its cells are not published by this table
    blok = attack._blokken(model)
    hier = np.isin(blok, blok[(model.cellen["mart"] == mart).to_numpy()])
    primair_hier = primair & hier
    # blocks asked before with the same input are read from the build's memo (hermelding/disclosure_memo.py)
    onderdrukt, rapport = kies_onderdrukking(model, waarde, primair_hier, afronding, minimum,
                                             None if vast_onderdrukt is None else np.asarray(vast_onderdrukt) & hier,
                                             vast_getoond, memo=Memo.from_environment())
    gepubliceerd = pd.array(np.where(onderdrukt, np.nan, afgerond), dtype="Float64").astype("Int64")
    uit = frame.copy()
    rc = model.rijcellen[model.rijcellen["mart"] == mart]
    for k in spec.tellingen:
        deel = rc[rc["kolom"] == k]
        if deel.empty:  # a residual or unpublished count: never shown in this table
            uit[k] = pd.array([pd.NA] * len(uit), dtype="Int64")
            uit[f"{k}_vlag"] = np.where(frame[k].notna(), VLAG_NIET_OPENBAAR, None)
            continue
        cel = deel.sort_values("rij")["cel"].to_numpy()
        uit[k] = gepubliceerd[cel]
        uit[f"{k}_vlag"] = np.where(onderdrukt[cel], VLAG_ONDERDRUKT, None)
    ratios = attack.verhoudingen(uit, spec)
    for kolom, (_soort, teller, noemer) in spec.afgeleid.items():
        bron_weg = np.zeros(len(uit), dtype=bool)
        for b in (teller, noemer):
            if b in spec.tellingen:
                bron_weg |= (uit[f"{b}_vlag"] == VLAG_ONDERDRUKT).to_numpy()
        # a ratio withheld before disclosure control (not comparable or not publishable, hermelding/
        # comparability.py) stays empty: recomputing it from the published counts would publish it again
        ingehouden = frame[kolom].isna().to_numpy() & ratios[kolom].notna().to_numpy()
        uit[kolom] = ratios[kolom].mask(ingehouden)
        niet = (kolom in spec.niet_openbaar) or (kolom in spec.voorwaarde)
        leeg_niet_openbaar = (uit[kolom].isna().to_numpy() & frame[kolom].notna().to_numpy() & niet) | ingehouden
        uit[f"{kolom}_vlag"] = np.select([bron_weg, leeg_niet_openbaar], [VLAG_ONDERDRUKT, VLAG_NIET_OPENBAAR], None)
    for kolom in ratio_kolommen[len(spec.afgeleid):]:
        uit[kolom] = np.nan
        uit[f"{kolom}_vlag"] = np.where(frame[kolom].notna(), VLAG_NIET_OPENBAAR, None)
    uit = uit[list(frame.columns) + vlaggen]
    uit[vlaggen] = uit[vlaggen].astype("string")
    if verslag is not None:
        reden = np.where(primair_hier, VLAG_PRIMAIR, np.where(onderdrukt, VLAG_SECUNDAIR, None))
        verslag.update(vars(rapport))
        verslag["redenen"] = model.cellen.assign(reden=reden)[["sleutel", "kolom", "waarde"]].assign(
            reden=reden)[onderdrukt]
    return uit


def _op_sleutel(frame: pd.DataFrame, spec: Specificatie) -> pd.DataFrame:
    """The frame in the order of its key. The engine's cells and relations are numbered in row order, and a block's
    memo key (hermelding/disclosure_memo.py) covers that order: a table read back from the database in another
    order must give the same numbering, or an unchanged block would be computed again."""
    return frame.sort_values(list(spec.sleutel), kind="stable").reset_index(drop=True)


def _vast_door_bron(model, waarde: np.ndarray, bron: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
                    afronding: int) -> tuple[np.ndarray, np.ndarray]:
    """(shown there, suppressed there) per cell of `model`: the cells of the already protected tables `bron`, as
    those tables published them. A cell whose exact value would round to another number than the one published
    there means the marts disagree: nothing is published."""
    from hermelding import attack

    daar = attack.bouw_model({naam: (publiek.reset_index(drop=True), SPECIFICATIES[naam])
                              for naam, (_, publiek) in bron.items()}, None)
    gepubliceerd = daar.cellen.drop_duplicates("sleutel").set_index("sleutel")["waarde"]
    hier = model.cellen["sleutel"]
    gedeeld = hier.isin(gepubliceerd.index).to_numpy()
    toen = gepubliceerd.reindex(hier).to_numpy(dtype=float)
    getoond, onderdrukt = gedeeld & ~np.isnan(toen), gedeeld & np.isnan(toen)
    afgerond = afronding * np.floor(waarde / afronding + 0.5)
    anders = getoond & (afgerond != toen)
    if anders.any():
        raise ValueError(f"Disclosure: {int(anders.sum())} count(s) of {', '.join(bron)} do not round to the value "
                         f"published there (e.g. column {model.cellen['kolom'][anders].iloc[0]}): the internal and "
                         "public marts disagree. Rebuild them; nothing published.")
    return getoond, onderdrukt


def _controleer_relaties(model, waarde: np.ndarray) -> None:
    """Every relation of the specification must hold on the exact counts: a relation that does not hold would
    make the protection (and the attacker audit) reason about a table that does not exist."""
    fout = np.flatnonzero(np.abs(model.gelijk @ waarde) > 1e-9)
    ongelijk = np.flatnonzero(model.ongelijk @ waarde < -1e-9)
    if len(ongelijk):
        raise ValueError(f"Disclosure: {len(ongelijk)} inequality relation(s) of the table specification do not "
                         "hold on the exact counts (e.g. a count of persons in a year below that of its first half "
                         "year, or above the sum of its half years). Fix the specification in hermelding/"
                         "disclosure.py SPECIFICATIES (Specificatie.personen, monotoon) or the mart; nothing published.")
    if len(fout):
        raise ValueError(f"Disclosure: {len(fout)} additive relation(s) of the table specification do not hold on "
                         "the exact counts (e.g. a region that is not the sum of its municipalities). Fix the "
                         "specification in hermelding/disclosure.py SPECIFICATIES or the mart; nothing published.")


def regio_ouders(frame: pd.DataFrame, gemeenten: pd.DataFrame) -> pd.DataFrame:
    """(kind, ouder) pairs of reporting regions present in the frame: municipality -> VT region -> total.
    The levels themselves are made by the dbt macro regio_niveaus; the total's code is read from the frame."""
    aanwezig = frame[["regiotype", "regiocode"]].drop_duplicates()
    gm = aanwezig[aanwezig["regiotype"] == "gemeente"].merge(gemeenten[["gemeentecode", "vt_regio"]],
                                                              left_on="regiocode", right_on="gemeentecode")
    vt = aanwezig[aanwezig["regiotype"] == "vt_regio"]
    totalen = aanwezig.loc[aanwezig["regiotype"] == "totaal", "regiocode"]  # at most one
    paren = [pd.DataFrame({"kind": gm["regiocode"], "ouder": gm["vt_regio"]}),
             *(pd.DataFrame({"kind": vt["regiocode"], "ouder": totaal}) for totaal in totalen)]
    paren = pd.concat(paren, ignore_index=True)
    # sorted: the hierarchy is part of a block's memo key, whatever order the frame's rows came in
    return paren[paren["ouder"].isin(aanwezig["regiocode"])].sort_values(["kind", "ouder"]).reset_index(drop=True)


# D2, D3 and D4(b) Kaplan-Meier at the configured horizons (herhaling_cohort); the monthly curve shares it
_HERHALING_COHORT = Specificatie(
    sleutel=("definitie_id", "regiotype", "regiocode", "cohort_periode", "horizon_maanden"),
    tellingen=("cohort_omvang", "aantal_gebeurtenissen", "aantal_at_risk", "uitgesloten_onbekend_geboortejaar"),
    afgeleid={
        # Kaplan-Meier = events / cohort when every member is followed to the horizon; only then public
        "cumulatief_pct": ("aandeel", "aantal_gebeurtenissen", "cohort_omvang"),
        "cumulatief_pct_ci_onder": ("wilson_onder", "aantal_gebeurtenissen", "cohort_omvang"),
        "cumulatief_pct_ci_boven": ("wilson_boven", "aantal_gebeurtenissen", "cohort_omvang"),
    },
    voorwaarde={"cumulatief_pct": "volledige_followup", "cumulatief_pct_ci_onder": "volledige_followup",
                "cumulatief_pct_ci_boven": "volledige_followup"},
    # cohort periods: a closed casus (D2) lies in one half year; a person (D3, D4) may be in both, and is then
    # in the year's cohort with the first half year's start (and so with its event or not)
    periodiek=True, periode_kolom="cohort_periode", periodiek_als={"definitie_id": ("herhaalde_melding",)},
    personen=("cohort_omvang", "aantal_gebeurtenissen"),
    vast_over={"cohort_omvang": ("horizon_maanden",)},
    monotoon={"aantal_gebeurtenissen": ("horizon_maanden", 1)},
    # uitgesloten_onbekend_geboortejaar: published once, in intergenerationeel_regio_periode; rol_onbekend_pct's
    # counts are not public. aantal_at_risk: with complete follow-up nobody is censored, so the number at risk
    # is the cohort minus (about) the events: published, it would give away every suppressed event count, and a
    # reader needs it for nothing the table shows (the percentage is events / cohort there). The minimum at
    # risk for a public percentage is applied to the published counts (hermelding/comparability.py).
    niet_openbaar=("aantal_at_risk", "uitgesloten_onbekend_geboortejaar", "rol_onbekend_pct"),
    # complete follow-up: the cohort and its events up to the horizon are final (and so the cohort's size)
    afgesloten="volledige_followup",
)

def _herhaling_besluit() -> Specificatie:
    """D2 broken down by besluit (herhaling_besluit): the cohort and its events per besluit add up to the cohort's
    total (with the residual `overig`, never shown per cell), and the totals are herhaling_cohort's cells."""
    from hermelding.reference import d2_besluit_delen

    delen = d2_besluit_delen()
    omvang = tuple(f"cohort_omvang_{d}" for d in delen)
    gebeurtenissen = tuple(f"aantal_gebeurtenissen_{d}" for d in delen)
    afgeleid, voorwaarde = {}, {}
    for d in delen:
        for soort, kolom in (("aandeel", f"cumulatief_pct_{d}"), ("wilson_onder", f"cumulatief_pct_{d}_ci_onder"),
                             ("wilson_boven", f"cumulatief_pct_{d}_ci_boven")):
            afgeleid[kolom] = (soort, f"aantal_gebeurtenissen_{d}", f"cohort_omvang_{d}")
            voorwaarde[kolom] = "volledige_followup"
    return Specificatie(
        # the cohort table's key, so that the totals are the same cells (cellen_van)
        sleutel=("definitie_id", "regiotype", "regiocode", "cohort_periode", "horizon_maanden"),
        tellingen=("cohort_omvang", "aantal_gebeurtenissen", *omvang, *gebeurtenissen,
                   "cohort_omvang_overig", "aantal_gebeurtenissen_overig"),
        # every closed casus has one besluit: total = the shown besluit + overig (residual: total >= shown parts)
        rij_groepen=(("cohort_omvang", (*omvang, "cohort_omvang_overig")),
                     ("aantal_gebeurtenissen", (*gebeurtenissen, "aantal_gebeurtenissen_overig"))),
        afgeleid=afgeleid,
        voorwaarde=voorwaarde,
        # year cohorts only: no period relation inside this table (the totals' half years are in herhaling_cohort)
        periodiek=False, periode_kolom="cohort_periode",
        residu=("cohort_omvang_overig", "aantal_gebeurtenissen_overig"),
        vast_over={k: ("horizon_maanden",) for k in ("cohort_omvang", *omvang, "cohort_omvang_overig")},
        monotoon={k: ("horizon_maanden", 1) for k in ("aantal_gebeurtenissen", *gebeurtenissen)},
        cellen_van="herhaling_cohort",
        afgesloten="volledige_followup",
    )


# The public marts and their additive structure (mart-specific; the engine above is generic).
SPECIFICATIES: dict[str, Specificatie] = {
    "hermelding_regio_periode": Specificatie(
        sleutel=("regiotype", "regiocode", "periode"),
        # the count columns and the classes that add up: written once, in dbt_project.yml (var d1_tellingen)
        tellingen=tuple(telling["kolom"] for telling in d1_tellingen()),
        rij_groepen=d1_groepen(),
        afgeleid={
            "hermelding_pct": ("aandeel", "hermelding", "meldingen"),
            "hermelding_pct_ci_onder": ("wilson_onder", "hermelding", "meldingen"),
            "hermelding_pct_ci_boven": ("wilson_boven", "hermelding", "meldingen"),
            "vervolgmelding_pct": ("aandeel", "vervolgmelding", "meldingen"),
            "meldingen_per_1000_inwoners": ("per_1000", "meldingen", "inwoners"),
        },
        periodiek=True,
        residu=("niet_ingedeeld",),
        # classification looks back only: a fully delivered period's counts are final
        afgesloten="periode_compleet",
    ),
    "intergenerationeel_regio_periode": Specificatie(
        sleutel=("regiotype", "regiocode", "periode"),
        tellingen=("volwassen_personen", "eerder_als_minderjarige", "uitgesloten_onbekend_geboortejaar"),
        afgeleid={
            "eerder_als_minderjarige_pct": ("aandeel", "eerder_als_minderjarige", "volwassen_personen"),
            "eerder_als_minderjarige_pct_ci_onder": ("wilson_onder", "eerder_als_minderjarige", "volwassen_personen"),
            "eerder_als_minderjarige_pct_ci_boven": ("wilson_boven", "eerder_als_minderjarige", "volwassen_personen"),
        },
        # persons per period: a person in both half years is one person in the year, so no additive period
        # relation, only the persons' inequalities
        personen=("volwassen_personen", "eerder_als_minderjarige", "uitgesloten_onbekend_geboortejaar"),
    ),
    "herhaling_cohort": _HERHALING_COHORT,
    # the monthly Kaplan-Meier curve of D2 and D3 (herhaling_curve_maand): the cohort table's rules, one row per
    # month; at a configured horizon its cells are herhaling_cohort's (herhaling_cohort_openbaar copies them)
    "herhaling_curve_maand": replace(_HERHALING_COHORT, cellen_van="herhaling_cohort"),
    # D2 by besluit (herhaling_besluit): year cohorts at the configured horizons; its cohort and events totals are
    # herhaling_cohort's cells (protected there, kept here: `openbare_mart_naast`), the parts are protected here
    "herhaling_besluit": _herhaling_besluit(),
    # "gezinnen ooit eerder gezien" per region and year (eerder_gezien_regio_periode): meldingen, hermelding and
    # vervolgmelding are D1's cells (protected there, kept here); a hermelding or vervolgmelding is seen before by
    # definition, so eerder_gezien >= hermelding + vervolgmelding (the rest is a residual, never shown), and
    # eerder_gezien <= meldingen (the share's numerator and denominator)
    "eerder_gezien_regio_periode": Specificatie(
        sleutel=("regiotype", "regiocode", "periode"),
        tellingen=("meldingen", "hermelding", "vervolgmelding", "eerder_gezien", "eerder_gezien_overig"),
        rij_groepen=(("eerder_gezien", ("hermelding", "vervolgmelding", "eerder_gezien_overig")),),
        afgeleid={
            "eerder_gezien_pct": ("aandeel", "eerder_gezien", "meldingen"),
            "eerder_gezien_pct_ci_onder": ("wilson_onder", "eerder_gezien", "meldingen"),
            "eerder_gezien_pct_ci_boven": ("wilson_boven", "eerder_gezien", "meldingen"),
        },
        # years only: no period relation inside this table (D1's periods are in hermelding_regio_periode)
        periodiek=False,
        residu=("eerder_gezien_overig",),
        cellen_van="hermelding_regio_periode",
        afgesloten="periode_compleet",
    ),
}


def bevroren_frames(mart: str, pad: str | None) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The (exact, public) frames of `mart` in the frozen release at `pad` (the dbt var `bevroren_release`, set by
    hermelding/build.py from bevriezingen.json), or None: no frozen release, or it has no such table. A table
    whose columns have changed since is compared as far as the specification's columns are there; one without
    a key or count column cannot be and is left out, with a warning."""
    import logging

    if not pad:
        return None
    intern = Path(pad) / "intern" / f"{mart}.parquet"
    publiek = Path(pad) / "openbaar" / f"{mart}_openbaar.parquet"
    if not (intern.exists() and publiek.exists()):
        return None
    exact, pub = pd.read_parquet(intern), pd.read_parquet(publiek)
    spec = SPECIFICATIES[mart]
    nodig = {*spec.sleutel, *spec.periodiek_als, *(k for k in spec.tellingen if k not in spec.residu
                                                    and k not in spec.niet_openbaar), *filter(None, [spec.afgesloten])}
    mist = sorted(nodig - set(exact.columns) | nodig - set(pub.columns))
    if mist:
        logging.getLogger(__name__).warning(
            "Disclosure: the frozen release %s lacks column(s) %s of %s; the new %s_openbaar is protected without "
            "it (freeze a new release to restore the combined protection).", Path(pad).name, ", ".join(mist), mart,
            mart)
        return None
    return _op_sleutel(exact, spec), _op_sleutel(pub, spec)


def verwante_marts(mart: str) -> list[str]:
    """The other public marts whose cells are linked to `mart`'s: those that repeat a statistic of the same table
    (`Specificatie.cellen_van`, followed to its end), e.g. D1 and "eerder gezien", or the cohort table, its monthly
    curve and D2 by besluit. A frozen release's frames of these are part of the model when `mart` is protected."""
    def wortel(naam: str) -> str:
        while SPECIFICATIES[naam].cellen_van:
            naam = SPECIFICATIES[naam].cellen_van
        return naam

    return [m for m in SPECIFICATIES if m != mart and wortel(m) == wortel(mart)]


def openbare_mart(mart: str, frame: pd.DataFrame, gemeenten: pd.DataFrame, afronding, minimum,
                  bevroren_release: str | None = None) -> pd.DataFrame:
    """Body of the dbt Python models `<mart>_openbaar` (which must read their config themselves: dbt only
    passes config keys that the model file names literally). `bevroren_release`: the folder of the latest
    frozen release (or empty), protected together with this one."""
    return _openbaar_met(mart, frame, gemeenten, afronding, minimum, bevroren_release)


def _openbaar_met(mart, frame, gemeenten, afronding, minimum, bevroren_release, bron=None, selectie=None,
                  eigen_bevroren=None) -> pd.DataFrame:
    """`openbaar` for `mart` with the latest frozen release's frames of this table (`eigen_bevroren` filters them)
    and of the tables linked to it (`verwante_marts`, rows chosen by `selectie`)."""
    kies = selectie or (lambda f: f)
    bevroren = bevroren_frames(mart, bevroren_release)
    if bevroren is not None and eigen_bevroren is not None:
        bevroren = tuple(eigen_bevroren(f).reset_index(drop=True) for f in bevroren)
    verwant = {}
    for naam in verwante_marts(mart):
        frames = bevroren_frames(naam, bevroren_release)
        if frames is not None:
            verwant[naam] = tuple(kies(f).reset_index(drop=True) for f in frames)
    # every region of the model: this table's, its source tables' and the frozen release's
    andere = [*([bevroren] if bevroren is not None else []), *(bron or {}).values(), *verwant.values()]
    regios = pd.concat([frame[["regiotype", "regiocode"]], *(publiek[["regiotype", "regiocode"]] for _, publiek in andere)])
    return openbaar(frame, SPECIFICATIES[mart], afronding=int(afronding), minimum=int(minimum),
                    regio_ouder=regio_ouders(regios, gemeenten), bevroren=bevroren, bron=bron,
                    bevroren_verwant=verwant or None, mart=mart)


def openbare_mart_met_overname(mart: str, frame: pd.DataFrame, bron: pd.DataFrame, gemeenten: pd.DataFrame,
                               afronding, minimum, bevroren_release: str | None = None) -> pd.DataFrame:
    """A public mart whose rows for some definitions repeat another public table's cells (`bron`, whose
    Specificatie names this mart in `cellen_van`): those rows are copied from `bron`, protected there as part of
    its larger linked set, so that one statistic is published once and identically; the other definitions are
    protected here. Every relation keeps `definitie_id` fixed, so the two parts share no relation; the release
    audit checks both tables together as one set (hermelding/attack.py)."""
    spec = SPECIFICATIES[mart]
    sleutel = list(spec.sleutel)
    gedeeld = frame["definitie_id"].isin(bron["definitie_id"].unique()).to_numpy()
    # the frozen release's copied rows were protected with its own source table (a linked table, so in the model)
    eigen = _openbaar_met(mart, frame[~gedeeld], gemeenten, afronding, minimum, bevroren_release,
                          eigen_bevroren=lambda f: f[~f["definitie_id"].isin(bron["definitie_id"].unique())])
    kopie = frame.loc[gedeeld, sleutel].merge(bron[list(eigen.columns)], on=sleutel, how="left", indicator=True,
                                              validate="one_to_one")
    ontbreekt = int((kopie["_merge"] != "both").sum())
    if ontbreekt:
        raise ValueError(f"Disclosure: {ontbreekt} row(s) of {mart} have no row in the table they are copied from "
                         f"(same key {', '.join(sleutel)}): that table must hold every horizon of {mart}. Check the "
                         "horizons in hermelding.toml and the monthly model; nothing published.")
    kopie = kopie.drop(columns="_merge")
    # one dtype per column, the engine's (a column empty in one part must not change it)
    delen = [deel for deel in (eigen, kopie.astype(eigen.dtypes.to_dict())) if len(deel)]
    uit = pd.concat(delen, ignore_index=True) if delen else eigen
    return uit.sort_values(sleutel).reset_index(drop=True)


def openbare_mart_naast(mart: str, frame: pd.DataFrame, bron: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
                        gemeenten: pd.DataFrame, afronding, minimum, bevroren_release: str | None = None,
                        selectie=None) -> pd.DataFrame:
    """A public mart that breaks down cells of other public tables, e.g. D2's cohort by besluit. `bron`: mart ->
    (exact, public) frames of the already protected tables whose cells it repeats (its Specificatie's `cellen_van`)
    and of the tables linked to those (the monthly curve): every cell of theirs keeps what was published, and this
    table's own cells are protected with all relations of all of them together (part <= total, the sum of the
    parts, regions, horizons, months, half years), as the release audit will check them.

    `selectie`: the rows of the `bron` tables that matter here (a function on a frame, e.g. D2's rows only), applied
    to them and to the frozen release's frames of the linked tables alike."""
    kies = selectie or (lambda f: f)
    bron = {naam: (kies(exact).reset_index(drop=True), kies(publiek).reset_index(drop=True))
            for naam, (exact, publiek) in bron.items()}
    return _openbaar_met(mart, frame, gemeenten, afronding, minimum, bevroren_release, bron, selectie)
