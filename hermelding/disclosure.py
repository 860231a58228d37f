"""Disclosure control for public marts, as CBS does for Veilig Thuis figures.

- Counts are rounded to multiples of `afronding` (5); a count below `minimum` (10) after rounding is
  suppressed (primary suppression): empty value plus a flag saying why.
- Complementary (secondary) suppression: a suppressed cell must not be recoverable by subtraction. The
  additive relations are *groups* (a total and its parts): a row's classes and their total, a region and
  its municipalities, a year and its half years, a half year and its quarters. Whenever a group has
  exactly one suppressed cell, the smallest other cell of the group is suppressed too; repeated until no
  group has exactly one (each round vectorised over all groups).
- Percentages are computed on the unrounded counts and suppressed when their numerator or denominator is.

The mart-specific part (which columns, which groups) is a `Specificatie`; the engine works on a long table of
cells, so no Python loop runs over rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hermelding.reference import d1_groepen, d1_tellingen

VLAG_PRIMAIR = "primair"  # below the minimum after rounding
VLAG_SECUNDAIR = "secundair"  # suppressed so that another cell cannot be recovered by subtraction
VLAG_AFGELEID = "afgeleid"  # a percentage whose numerator or denominator is suppressed


@dataclass(frozen=True)
class Specificatie:
    sleutel: tuple[str, ...]  # columns identifying a row, e.g. (regiocode, periode)
    tellingen: tuple[str, ...]  # count columns to round and protect
    # additive groups within a row: (total column, (part columns...))
    rij_groepen: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # percentage column -> the count columns it derives from
    afgeleid: dict[str, tuple[str, ...]] = field(default_factory=dict)
    geografisch: bool = True  # region = sum of its municipalities (needs regiotype/regiocode + ouder_regio)
    periodiek: bool = False  # year = half years, half year = quarters (needs periode)


def _ouder_periode(periode: pd.Series) -> pd.DataFrame:
    """Parent periods: a quarter's half year, a half year's year."""
    jaar = periode.str[:4]
    soort = periode.str[4:6]
    nr = pd.to_numeric(periode.str[6:8], errors="coerce")
    halfjaar = jaar + "HJ0" + ((nr + 1) // 2).astype("Int64").astype(str)
    return pd.DataFrame({
        "kind": periode,
        "ouder": np.select([soort == "KW", soort == "HJ"], [halfjaar, jaar + "JJ00"], ""),
    })


def _sleutel(frame: pd.DataFrame, kolommen: list[str], prefix: str) -> pd.Series:
    """A group key per row, built column by column (vectorised string concatenation)."""
    sleutel = pd.Series(prefix, index=frame.index)
    for kolom in kolommen:
        sleutel = sleutel + "|" + frame[kolom].astype(str)
    return sleutel


def lange_cellen(frame: pd.DataFrame, spec: Specificatie) -> pd.DataFrame:
    cellen = frame[list(spec.sleutel) + list(spec.tellingen)].melt(
        id_vars=list(spec.sleutel), var_name="kolom", value_name="waarde")
    cellen["cel"] = np.arange(len(cellen))
    return cellen


def additieve_relaties(frame: pd.DataFrame, cellen: pd.DataFrame, spec: Specificatie, regio_ouder: pd.DataFrame | None):
    """Membership table (groep, cel): every additive group of cells, built with joins."""
    delen = []
    sleutel = list(spec.sleutel)
    # within a row: total + parts
    for i, (totaal, onderdelen) in enumerate(spec.rij_groepen):
        leden = cellen[cellen["kolom"].isin((totaal, *onderdelen))]
        delen.append(pd.DataFrame({"groep": _sleutel(leden, sleutel, f"rij{i}"), "cel": leden["cel"]}))
    # a region and its sub-regions, for the same period (and other keys) and column
    if spec.geografisch and regio_ouder is not None and len(regio_ouder):
        rest = [k for k in sleutel if k not in ("regiotype", "regiocode")]
        kind = cellen.merge(regio_ouder, left_on="regiocode", right_on="kind")
        kind["groep"] = _sleutel(kind, ["ouder", "kolom", *rest], "geo")
        ouder = cellen.merge(kind[["groep", "ouder", "kolom", *rest]].drop_duplicates(),
                             left_on=["regiocode", "kolom", *rest], right_on=["ouder", "kolom", *rest])
        delen += [kind[["groep", "cel"]], ouder[["groep", "cel"]]]
    # a period and its sub-periods, for the same region (and other keys) and column
    if spec.periodiek:
        rest = [k for k in sleutel if k != "periode"]
        ouders = _ouder_periode(cellen["periode"].drop_duplicates())
        ouders = ouders[ouders["ouder"] != ""]
        kind = cellen.merge(ouders, left_on="periode", right_on="kind")
        kind["groep"] = _sleutel(kind, ["ouder", "kolom", *rest], "per")
        ouder = cellen.merge(kind[["groep", "ouder", "kolom", *rest]].drop_duplicates(),
                             left_on=["periode", "kolom", *rest], right_on=["ouder", "kolom", *rest])
        delen += [kind[["groep", "cel"]], ouder[["groep", "cel"]]]
    if not delen:
        return pd.DataFrame({"groep": pd.Series(dtype=str), "cel": pd.Series(dtype=int)})
    return pd.concat(delen, ignore_index=True).drop_duplicates()


def beveilig_cellen(cellen: pd.DataFrame, groepen: pd.DataFrame, afronding: int, minimum: int) -> pd.DataFrame:
    """Round, suppress primary cells, then suppress secondary cells until no group has exactly one
    suppressed cell. Returns cellen with `gepubliceerd` (nullable) and `vlag`."""
    waarde = cellen["waarde"].to_numpy(dtype=float)
    afgerond = afronding * np.floor(waarde / afronding + 0.5)
    onderdrukt = afgerond < minimum
    vlag = np.where(onderdrukt, VLAG_PRIMAIR, None).astype(object)
    if len(groepen):
        cel = groepen["cel"].to_numpy()
        groep_codes, groep_idx = np.unique(groepen["groep"].to_numpy(), return_inverse=True)
        while True:
            onderdrukt_in_groep = np.bincount(groep_idx, weights=onderdrukt[cel], minlength=len(groep_codes))
            enkel = onderdrukt_in_groep == 1
            if not enkel.any():
                break
            kandidaten = pd.DataFrame({"groep": groep_idx, "cel": cel, "waarde": waarde[cel]})
            kandidaten = kandidaten[enkel[groep_idx] & ~onderdrukt[cel]]
            if kandidaten.empty:  # a group of one cell: nothing left to add
                break
            # the smallest remaining cell of each group with exactly one suppressed (ties: lowest cell id)
            kies = kandidaten.sort_values(["waarde", "cel"]).drop_duplicates("groep")["cel"].to_numpy()
            onderdrukt[kies] = True
            vlag[kies] = VLAG_SECUNDAIR
    uit = cellen.copy()
    uit["gepubliceerd"] = pd.array(np.where(onderdrukt, np.nan, afgerond), dtype="Float64").astype("Int64")
    uit["vlag"] = vlag
    return uit


def openbaar(frame: pd.DataFrame, spec: Specificatie, afronding: int = 5, minimum: int = 10,
             regio_ouder: pd.DataFrame | None = None) -> pd.DataFrame:
    """The public variant of a region x period mart: rounded/suppressed counts, a `<kolom>_vlag` per
    count and percentage saying why a value is empty, percentages from unrounded counts."""
    if frame.empty:
        uit = frame.copy()
        for k in (*spec.tellingen, *spec.afgeleid):
            uit[f"{k}_vlag"] = pd.Series(dtype=object)
        return uit
    # a fixed row order: secondary suppression breaks ties by cell number, so the same input must give
    # the same cells whatever order the database returned the rows in
    frame = frame.sort_values(list(spec.sleutel)).reset_index(drop=True)
    cellen = lange_cellen(frame, spec)
    groepen = additieve_relaties(frame, cellen, spec, regio_ouder)
    beveiligd = beveilig_cellen(cellen, groepen, afronding, minimum)
    breed = beveiligd.pivot(index=list(spec.sleutel), columns="kolom", values=["gepubliceerd", "vlag"])
    uit = frame.set_index(list(spec.sleutel))
    for k in spec.tellingen:
        uit[k] = breed[("gepubliceerd", k)].reindex(uit.index).astype("Int64")
        uit[f"{k}_vlag"] = breed[("vlag", k)].reindex(uit.index)
    for pct, bronnen in spec.afgeleid.items():
        weg = np.zeros(len(uit), dtype=bool)
        for b in bronnen:
            weg |= uit[b].isna().to_numpy()
        uit[pct] = uit[pct].mask(weg)
        uit[f"{pct}_vlag"] = np.where(weg, VLAG_AFGELEID, None)
    vlaggen = [f"{k}_vlag" for k in (*spec.tellingen, *spec.afgeleid)]
    uit = uit.reset_index()[list(frame.columns) + vlaggen]
    uit[vlaggen] = uit[vlaggen].astype("string")
    return uit


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
    return paren[paren["ouder"].isin(aanwezig["regiocode"])]


# The public marts and their additive structure (mart-specific; the engine above is generic).
SPECIFICATIES: dict[str, Specificatie] = {
    "hermelding_regio_periode": Specificatie(
        sleutel=("regiotype", "regiocode", "periode"),
        # the count columns and the classes that add up: written once, in dbt_project.yml (var d1_tellingen)
        tellingen=tuple(telling["kolom"] for telling in d1_tellingen()),
        rij_groepen=d1_groepen(),
        afgeleid={
            "hermelding_pct": ("hermelding", "meldingen"),
            "hermelding_pct_ci_onder": ("hermelding", "meldingen"),
            "hermelding_pct_ci_boven": ("hermelding", "meldingen"),
            "vervolgmelding_pct": ("vervolgmelding", "meldingen"),
            "meldingen_per_1000_inwoners": ("meldingen",),
        },
        periodiek=True,
    ),
    "intergenerationeel_regio_periode": Specificatie(
        sleutel=("regiotype", "regiocode", "periode"),
        tellingen=("volwassen_personen", "eerder_als_minderjarige", "uitgesloten_onbekend_geboortejaar"),
        afgeleid={
            "eerder_als_minderjarige_pct": ("eerder_als_minderjarige", "volwassen_personen"),
            "eerder_als_minderjarige_pct_ci_onder": ("eerder_als_minderjarige", "volwassen_personen"),
            "eerder_als_minderjarige_pct_ci_boven": ("eerder_als_minderjarige", "volwassen_personen"),
        },
    ),
    "herhaling_cohort": Specificatie(
        sleutel=("definitie_id", "regiotype", "regiocode", "cohort_periode", "horizon_maanden"),
        tellingen=("cohort_omvang", "aantal_gebeurtenissen", "aantal_at_risk", "uitgesloten_onbekend_geboortejaar"),
        afgeleid={
            "cumulatief_pct": ("cohort_omvang", "aantal_gebeurtenissen"),
            "cumulatief_pct_ci_onder": ("cohort_omvang", "aantal_gebeurtenissen"),
            "cumulatief_pct_ci_boven": ("cohort_omvang", "aantal_gebeurtenissen"),
            "rol_onbekend_pct": ("cohort_omvang",),
        },
    ),
}


def openbare_mart(mart: str, frame: pd.DataFrame, gemeenten: pd.DataFrame, afronding, minimum) -> pd.DataFrame:
    """Body of the dbt Python models `<mart>_openbaar` (which must read their config themselves: dbt only
    passes config keys that the model file names literally)."""
    return openbaar(frame, SPECIFICATIES[mart], afronding=int(afronding), minimum=int(minimum),
                    regio_ouder=regio_ouders(frame, gemeenten))
