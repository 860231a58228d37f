"""Synthetic Veilig Thuis exports in the contract format, deterministic by seed.

The model (all vectorised with numpy/pandas, no loop over rows):
- households (gezinnen) arrive as a Poisson process, live in a municipality drawn by population;
  each has adults and children with birth years, stable pseudonymous person keys;
- a household's first casus opens at arrival; after closure it comes back with a household-specific
  probability after a gap (violence that recurs over years);
- within an open casus, extra meldingen arrive (vervolgmeldingen) in the assessment, after it,
  or during monitoring;
- derived households link people across households: children who grow up and appear as adults,
  perpetrators who come back with a new partner (sometimes while their old casus is still open);
- each period's delivery holds its meldingen, the state of every casus active in it at the period's
  end (later dates blanked), and the betrokkenen of its meldingen.

Besides the deliveries it writes the ground truth it planted: the CBS class of every melding
(an independent pandas implementation of D1 with a 36-month look-back) and, with `fouten`, a manifest
of every injected defect.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from hermelding import reference as referentie
from hermelding.periode import Periode, perioden

# Volumes, tuned so that Drenthe (schaal 1) gets ~1,900-2,200 meldingen a year, ~30-40% hermelding
# and ~25% vervolgmelding (CBS 85361NED).
NIEUWE_GEZINNEN_PER_JAAR = 640
# Other regions: CBS 85361NED (provisional 2023) counts 127,340 meldingen nationally, 1,905 in Drenthe.
# Every other region gets the national remainder in proportion to its population (2023), so that all 25
# regions together receive about the national number a year.
MELDINGEN_LANDELIJK_2023 = 127_340
MELDINGEN_DRENTHE_2023 = 1_905
ALLE_REGIOS = "ALLE"
VERVOLGMELDINGEN_PER_MAAND_OPEN = 0.06
GROUND_TRUTH_LOOKBACK_MAANDEN = 36
# Households are simulated from this many years before the first delivered period, so the first
# delivered year has realistic volumes and casussen that opened before the data starts.
INLOOP_JAREN = 5

MELDER_KANS = {
    "01": 0.60, "02": 0.04, "03": 0.02, "05": 0.03, "08": 0.05, "09": 0.03, "10": 0.04, "12": 0.02,
    "13": 0.01, "15": 0.03, "17": 0.01, "20": 0.02, "30": 0.01, "31": 0.03, "33": 0.03, "34": 0.02,
    "35": 0.01, "41": 0.01,
}
BESLUIT_KANS = {"onderzoek": 0.18, "voorwaarden_en_vervolg": 0.10, "overdracht": 0.47, "einde_bemoeienis": 0.25}


@dataclass
class Generatie:
    """What a generation run wrote."""

    leveringen: list[Path] = field(default_factory=list)
    afgekeurde_leveringen: list[Path] = field(default_factory=list)
    grondwaarheid: Path | None = None
    aantal_meldingen: int = 0
    klassen: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# population of households and persons


def _plaatsen(regio: str, referentie_dir: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """Where households of a region live: every municipality that existed before the first merger in the
    reference data (a household keeps its place; its code changes when the place merges, see _code_op),
    weighted by population in the earliest year known. A place that disappeared before the first
    population year shares its successor's population equally with the successor's other places."""
    rijen = pd.DataFrame(referentie.gemeenten(regio))
    if rijen.empty:
        raise ValueError(f"Region {regio} has no municipalities in dbt_project/seeds/gemeenten.csv")
    plaatsen = rijen[rijen["geldig_van"] == ""]
    codes = plaatsen["gemeentecode"].to_numpy()
    gewichten = np.ones(codes.size)
    bevolking = referentie_dir / "bevolking.csv" if referentie_dir else None
    if bevolking and bevolking.is_file():
        pop = pd.read_csv(bevolking, dtype={"gemeentecode": str})
        eerste = pop.sort_values("jaar").drop_duplicates("gemeentecode").set_index("gemeentecode")["inwoners"]
        eigen = plaatsen["gemeentecode"].map(eerste)
        zonder = eigen.isna()
        # the successor's figure covers the successor (if it is a place) and the places that went into it
        wachtend = zonder.groupby(plaatsen["opvolger"]).sum()
        met_cijfer = set(plaatsen.loc[~zonder, "gemeentecode"])
        delers = wachtend.add(pd.Series(1, index=list(wachtend.index)).where(wachtend.index.isin(met_cijfer), 0))
        deel_opvolger = plaatsen["opvolger"].map(eerste) / plaatsen["opvolger"].map(delers)
        eigen_deel = eigen / plaatsen["gemeentecode"].map(delers).fillna(0).clip(lower=1)
        gewichten = eigen_deel.where(~zonder, deel_opvolger).fillna(eerste.mean() if len(eerste) else 1)
        gewichten = gewichten.to_numpy(float)
    return codes, gewichten / gewichten.sum()


def _code_op(plaats: np.ndarray, datum: pd.Series) -> np.ndarray:
    """The municipality code of each place on each date: a place takes its successor's code from the
    day a merger takes effect (the main successor where a municipality was split)."""
    her = pd.DataFrame(referentie.herindelingen())
    if her.empty:
        return plaats
    her = her[her["type"] == "samenvoeging/opheffing"].sort_values("datum")
    code = plaats.astype(object).copy()
    datum = pd.to_datetime(datum).to_numpy()
    for r in her.itertuples():  # one step per merger in the reference table (56 rows), not per melding
        code = np.where((code == r.oude_code) & (datum >= np.datetime64(r.datum)), r.nieuwe_code, code)
    return code


def gezinnen_per_jaar(regio: str, referentie_dir: Path | None) -> float:
    """New households a year at schaal 1: Drenthe as tuned; other regions in proportion to population."""
    if regio == "VT02":
        return float(NIEUWE_GEZINNEN_PER_JAAR)
    bevolking = referentie_dir / "bevolking.csv" if referentie_dir else None
    if not (bevolking and bevolking.is_file()):
        return float(NIEUWE_GEZINNEN_PER_JAAR)
    pop = pd.read_csv(bevolking, dtype={"gemeentecode": str})
    pop = pop[pop["jaar"] == 2023]
    regio_van = {r["gemeentecode"]: r["vt_regio"] for r in referentie.gemeenten()}
    pop = pop.assign(vt_regio=pop["gemeentecode"].map(regio_van))
    aandeel = pop.loc[pop["vt_regio"] == regio, "inwoners"].sum() / pop.loc[pop["vt_regio"] != "VT02", "inwoners"].sum()
    meldingen = (MELDINGEN_LANDELIJK_2023 - MELDINGEN_DRENTHE_2023) * aandeel
    return NIEUWE_GEZINNEN_PER_JAAR * meldingen / MELDINGEN_DRENTHE_2023


def regios(keuze: str) -> list[str]:
    """`ALLE`, one region or a comma-separated list -> region codes that have municipalities."""
    bekend = sorted({r["vt_regio"] for r in referentie.gemeenten()})
    gekozen = bekend if keuze.strip().upper() == ALLE_REGIOS else [k.strip().upper() for k in keuze.split(",") if k.strip()]
    onbekend = [k for k in gekozen if k not in bekend]
    if onbekend or not gekozen:
        raise ValueError(f"Unknown Veilig Thuis region(s) {', '.join(onbekend) or '(none)'}: use {ALLE_REGIOS} or "
                         f"codes from dbt_project/seeds/vt_regios.csv ({', '.join(bekend)})")
    return gekozen


def _pseudoniem(prefix: str, index: np.ndarray, salt: int) -> np.ndarray:
    """Stable, unique, non-numeric keys: a bijective scramble of the index (never 9 plain digits)."""
    mixed = (index.astype(np.uint64) * np.uint64(0x9E3779B1) + np.uint64(salt)) % np.uint64(10**11)
    return (prefix + pd.Series(mixed + np.uint64(10**11)).astype(str)).to_numpy()


def _huishoudens(rng, n, start_dag, dag0: date, gemeenten, gewichten, eerste_persoon: int,
                 volwassene1: np.ndarray | None = None):
    """n households with their persons. `volwassene1` optionally reuses existing persons as adult 1."""
    start_jaar = (pd.Timestamp(dag0) + pd.to_timedelta(start_dag, "D")).year.to_numpy()
    soort = rng.choice(3, size=n, p=[0.62, 0.33, 0.05])  # 0 gezin, 1 partners, 2 ouderen
    n_kinderen = np.where(soort == 0, rng.choice([1, 2, 3, 4], size=n, p=[0.35, 0.35, 0.2, 0.1]), 0)
    n_volw = np.where(soort == 2, 2, rng.choice([1, 2], size=n, p=[0.25, 0.75]))
    n_pers = n_volw + n_kinderen
    hh = np.repeat(np.arange(n), n_pers)
    pos = np.arange(hh.size) - np.repeat(np.cumsum(n_pers) - n_pers, n_pers)
    is_kind = pos >= n_volw[hh]
    jaar = start_jaar[hh]
    leeftijd = np.where(is_kind, rng.integers(0, 18, hh.size), rng.integers(20, 56, hh.size))
    leeftijd = np.where((soort[hh] == 2) & (pos == 1), rng.integers(66, 90, hh.size), leeftijd)
    geboortejaar = jaar - leeftijd
    persoon = eerste_persoon + np.arange(hh.size)
    geslacht = np.where(
        pos == 0, np.where(rng.random(hh.size) < 0.78, "M", "V"),
        np.where(pos == 1, np.where(rng.random(hh.size) < 0.8, "V", "M"),
                 np.where(rng.random(hh.size) < 0.5, "M", "V")))
    geslacht = np.where(rng.random(hh.size) < 0.01, "O", geslacht)
    if volwassene1 is not None:  # derived households: adult 1 is an existing person
        eerste = pos == 0
        persoon = persoon.astype(np.int64)
        persoon[eerste] = volwassene1
    personen = pd.DataFrame({
        "hh": hh, "pos": pos, "persoon": persoon, "is_kind": is_kind,
        "geboortejaar": geboortejaar, "geslacht": geslacht,
    })
    huis = pd.DataFrame({
        "hh": np.arange(n), "start_dag": start_dag, "soort": soort,
        "gemeentecode": rng.choice(gemeenten, size=n, p=gewichten),
        "terugkeer_kans": rng.beta(2.0, 2.4, size=n),
    })
    return huis, personen


def _casussen(rng, huis: pd.DataFrame, dagen: int) -> pd.DataFrame:
    """Chains of casussen per household: open, assess, decide, maybe monitor, close, maybe return."""
    delen = []
    actief = huis[["hh", "start_dag", "terugkeer_kans"]].rename(columns={"start_dag": "start"})
    volgnummer = 0
    while len(actief):
        n = len(actief)
        start = actief["start"].to_numpy()
        vb = start + rng.integers(1, 11, n)  # safety assessment within ~5 working days
        besluit = rng.choice(list(BESLUIT_KANS), size=n, p=list(BESLUIT_KANS.values()))
        monitoring = np.isin(besluit, ["onderzoek", "voorwaarden_en_vervolg", "overdracht"]) & (rng.random(n) < 0.35)
        mon = np.where(monitoring, vb + rng.integers(30, 121, n), -1)
        duur_na_vb = np.select(
            [besluit == "einde_bemoeienis", besluit == "overdracht", besluit == "onderzoek"],
            [rng.integers(0, 21, n), rng.integers(5, 60, n), rng.integers(40, 180, n)],
            rng.integers(60, 240, n))
        sluit = np.where(monitoring, mon + rng.integers(60, 200, n), vb + duur_na_vb)
        delen.append(pd.DataFrame({
            "hh": actief["hh"].to_numpy(), "volgnummer": volgnummer, "start": start, "vb": vb,
            "mon": mon, "sluit": sluit, "besluit": besluit}))
        terug = rng.random(n) < actief["terugkeer_kans"].to_numpy()
        volgende = sluit + 14 + rng.exponential(330, n).astype(int)
        verder = terug & (volgende < dagen)
        actief = actief.loc[verder].assign(start=volgende[verder])
        volgnummer += 1
    return pd.concat(delen, ignore_index=True)


def _simuleer(rng, regio: str, dag0: date, dagen: int, schaal: float, referentie_dir: Path | None):
    gemeenten, gewichten = _plaatsen(regio, referentie_dir)
    jaren = dagen / 365.25
    n_basis = rng.poisson(gezinnen_per_jaar(regio, referentie_dir) * jaren * schaal)
    huis, personen = _huishoudens(rng, n_basis, rng.integers(0, dagen, n_basis), dag0, gemeenten, gewichten, 0)
    cas = _casussen(rng, huis, dagen)
    eerste_start = cas.groupby("hh")["start"].min()

    # children who grow up: an adult in a household of their own, after turning 18
    eind_jaar = (pd.Timestamp(dag0) + pd.Timedelta(days=dagen)).year
    kinderen = personen[personen["is_kind"] & (personen["geboortejaar"] + 18 <= eind_jaar - 1)]
    kinderen = kinderen[rng.random(len(kinderen)) < 0.10]
    dag18 = (pd.to_datetime((kinderen["geboortejaar"] + 18).astype(str) + "-01-01") - pd.Timestamp(dag0)).dt.days
    vroegst = np.maximum(dag18.to_numpy(), eerste_start.reindex(kinderen["hh"]).to_numpy() + 365)
    kinderen = kinderen[vroegst < dagen - 30]
    vroegst = vroegst[vroegst < dagen - 30]
    start_kind = vroegst + (rng.random(len(vroegst)) * (dagen - vroegst)).astype(int)

    # perpetrators who come back with a new partner, sometimes while the old casus is still open
    plegers = personen[(personen["pos"] == 0)]
    plegers = plegers[rng.random(len(plegers)) < 0.05]
    start_pleger = eerste_start.reindex(plegers["hh"]).to_numpy() + rng.integers(60, 1500, len(plegers))
    plegers = plegers[start_pleger < dagen]
    start_pleger = start_pleger[start_pleger < dagen]

    hergebruik = np.concatenate([kinderen["persoon"].to_numpy(), plegers["persoon"].to_numpy()])
    starts = np.concatenate([start_kind, start_pleger]).astype(int)
    huis2, personen2 = _huishoudens(
        rng, hergebruik.size, starts, dag0, gemeenten, gewichten, int(personen["persoon"].max()) + 1,
        volwassene1=hergebruik)
    # a reused person keeps their birth year and sex
    bekend = personen.drop_duplicates("persoon").set_index("persoon")
    eerste = personen2["pos"] == 0
    personen2.loc[eerste, "geboortejaar"] = bekend.loc[personen2.loc[eerste, "persoon"], "geboortejaar"].to_numpy()
    personen2.loc[eerste, "geslacht"] = bekend.loc[personen2.loc[eerste, "persoon"], "geslacht"].to_numpy()
    huis2["hh"] += n_basis
    personen2["hh"] += n_basis
    # derived households: the adult child is most often registered as victim, else perpetrator
    huis2["kind_volwassen"] = np.arange(len(huis2)) < len(kinderen)
    cas2 = _casussen(rng, huis2, dagen)

    huis = pd.concat([huis.assign(kind_volwassen=False), huis2], ignore_index=True)
    personen = pd.concat([personen, personen2], ignore_index=True)
    cas = pd.concat([cas, cas2], ignore_index=True).sort_values(["start", "hh"], ignore_index=True)
    cas["casus"] = np.arange(len(cas))
    return huis, personen, cas


def _meldingen(rng, cas: pd.DataFrame, huis: pd.DataFrame, dagen: int) -> pd.DataFrame:
    eind = np.minimum(cas["sluit"].to_numpy(), dagen)
    open_dagen = np.maximum(eind - cas["start"].to_numpy() - 1, 0)
    n_vervolg = rng.poisson(VERVOLGMELDINGEN_PER_MAAND_OPEN * (open_dagen / 30.4 + 2.5))
    n_vervolg = np.where(open_dagen > 0, n_vervolg, 0)
    eerste = pd.DataFrame({"casus": cas["casus"], "dag": cas["start"], "eerste": True})
    idx = np.repeat(np.arange(len(cas)), n_vervolg)
    vervolg = pd.DataFrame({
        "casus": cas["casus"].to_numpy()[idx],
        "dag": cas["start"].to_numpy()[idx] + 1 + (rng.random(idx.size) * open_dagen[idx]).astype(int),
        "eerste": False,
    })
    mel = pd.concat([eerste, vervolg], ignore_index=True)
    mel = mel[mel["dag"] < dagen].sort_values(["dag", "casus"], ignore_index=True)
    mel["melding"] = np.arange(len(mel))
    mel = mel.merge(cas[["casus", "hh"]], on="casus").merge(huis[["hh", "gemeentecode", "soort"]], on="hh")
    n = len(mel)
    mel["melder"] = rng.choice(list(MELDER_KANS), size=n, p=np.array(list(MELDER_KANS.values())) / sum(MELDER_KANS.values()))
    hoofd = np.select(
        [mel["soort"].to_numpy() == 2, mel["soort"].to_numpy() == 0],
        [np.full(n, "ouderenmishandeling"),
         rng.choice(["kindermishandeling", "ex_partnergeweld", "geweld_tegen_ouders"], n, p=[0.66, 0.28, 0.06])],
        rng.choice(["ex_partnergeweld", "huiselijk_geweld_overig", "andere_problematiek"], n, p=[0.6, 0.15, 0.25]))
    tweede = rng.choice(["andere_problematiek", "huiselijk_geweld_overig", "ex_partnergeweld"], n)
    aard = np.where((rng.random(n) < 0.22) & (tweede != hoofd), np.char.add(np.char.add(hoofd.astype(str), "|"), tweede), hoofd)
    mel["aard_geweld"] = np.where(rng.random(n) < 0.03, "", aard)
    return mel.sort_values("melding", ignore_index=True)


def _betrokkenen(rng, mel: pd.DataFrame, personen: pd.DataFrame, huis: pd.DataFrame) -> pd.DataFrame:
    bet = mel[["melding", "hh", "eerste"]].merge(personen[["hh", "pos", "persoon", "is_kind"]], on="hh")
    keep = rng.random(len(bet)) < np.where(bet["eerste"], 0.93, 0.7)
    bet = bet.assign(keep=keep | (bet["pos"] == 0))
    bet = bet[bet["keep"]]
    zonder = mel.loc[rng.random(len(mel)) < 0.008, "melding"]  # meldingen registered without betrokkenen
    bet = bet[~bet["melding"].isin(zonder)]
    n = len(bet)
    kind_volwassen = huis.set_index("hh").loc[bet["hh"], "kind_volwassen"].to_numpy()
    volw1 = np.where(kind_volwassen & (rng.random(n) < 0.5), "slachtoffer", "pleger")
    rol = np.select([bet["is_kind"].to_numpy(), bet["pos"].to_numpy() == 0, bet["pos"].to_numpy() == 1],
                    ["kind", volw1, "slachtoffer"], "overig")
    rol = np.where(rng.random(n) < 0.09, "onbekend", rol)
    return bet.assign(rol=rol)[["melding", "persoon", "rol"]].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# ground truth: CBS class per melding (independent of the dbt implementation)


def grondwaarheid(mel: pd.DataFrame, cas: pd.DataFrame, bet: pd.DataFrame, lookback_maanden: int) -> pd.DataFrame:
    """Class of each melding under CBS 85361NED. Frames use dates: mel(melding_id, casus_id,
    datum_melding), cas(casus_id, datum_start, datum_veiligheidsbeoordeling, datum_start_monitoring,
    datum_afsluiting) as known at the data end, bet(melding_id, persoon_id) of delivered meldingen."""
    m = mel[["melding_id", "casus_id", "datum_melding"]].merge(cas, on="casus_id", how="left")
    m = m.sort_values(["casus_id", "datum_melding", "melding_id"])
    # the casus' first melding: earliest in the data, unless the casus had started before it
    m["is_eerste"] = ~m.duplicated("casus_id") & ~(m["datum_start"] < m["datum_melding"])
    d = m["datum_melding"]
    fase = np.select(
        [m["datum_veiligheidsbeoordeling"].isna() | (m["datum_veiligheidsbeoordeling"] > d),
         m["datum_start_monitoring"].notna() & (m["datum_start_monitoring"] <= d)],
        ["tijdens_veiligheidsbeoordeling", "tijdens_monitoring"], "na_veiligheidsbeoordeling")
    m["klasse"] = np.where(m["is_eerste"], "", "vervolgmelding")
    m["subklasse"] = np.where(m["is_eerste"], "", fase)
    m["reden"] = ""
    na_sluiting = ~m["is_eerste"] & m["datum_afsluiting"].notna() & (m["datum_afsluiting"] < d)
    m.loc[na_sluiting, ["klasse", "subklasse", "reden"]] = ["niet_ingedeeld", "", "melding_na_afsluiting_casus"]

    eerste = m[m["is_eerste"]][["melding_id", "casus_id", "datum_melding"]]
    b = bet[["melding_id", "persoon_id"]].drop_duplicates()
    # every involvement of every person: (persoon, casus, date of the melding, closure of its casus)
    inv = b.merge(mel[["melding_id", "casus_id", "datum_melding"]], on="melding_id")
    inv = inv.merge(cas[["casus_id", "datum_afsluiting"]], on="casus_id")
    pairs = eerste.merge(b, on="melding_id").merge(
        inv.rename(columns={"melding_id": "m2", "casus_id": "c2", "datum_melding": "d2"}), on="persoon_id")
    pairs = pairs[pairs["c2"] != pairs["casus_id"]]
    grens = pairs["datum_melding"] - pd.DateOffset(months=lookback_maanden) if lookback_maanden else None
    gesloten = pairs["datum_afsluiting"].notna() & (pairs["datum_afsluiting"] < pairs["datum_melding"])
    if grens is not None:
        gesloten &= pairs["datum_afsluiting"] >= grens
    open_ = (pairs["d2"] <= pairs["datum_melding"]) & (
        pairs["datum_afsluiting"].isna() | (pairs["datum_afsluiting"] >= pairs["datum_melding"]))
    bekend = pairs[gesloten].groupby("melding_id")["persoon_id"].nunique()
    in_open = pairs[open_].groupby("melding_id").size()
    met_betrokkenen = set(b["melding_id"])

    e = m["is_eerste"]
    n_bekend = m["melding_id"].map(bekend).fillna(0)
    heeft_open = m["melding_id"].isin(in_open.index)
    heeft_bet = m["melding_id"].isin(met_betrokkenen)
    m.loc[e & ~heeft_bet, ["klasse", "reden"]] = ["niet_ingedeeld", "geen_betrokkenen"]
    her = e & heeft_bet & (n_bekend > 0)
    m.loc[her, "klasse"] = "hermelding"
    m.loc[her, "subklasse"] = np.where(n_bekend[her] > 1, "meerdere_betrokkenen_bekend", "een_betrokkene_bekend")
    m.loc[e & heeft_bet & (n_bekend == 0) & heeft_open, ["klasse", "reden"]] = [
        "niet_ingedeeld", "betrokkene_alleen_bekend_uit_open_casus"]
    m.loc[e & heeft_bet & (n_bekend == 0) & ~heeft_open, "klasse"] = "eerste_melding"
    return m[["melding_id", "klasse", "subklasse", "reden"]].sort_values("melding_id", ignore_index=True)


# ---------------------------------------------------------------------------------------------
# ground truth: D2-D4 follow-up per subject (independent of the dbt implementation)


def _cohortperioden(van: int, tot: int) -> pd.DataFrame:
    rijen = [(p.code, pd.Timestamp(p.start), pd.Timestamp(p.eind))
             for soort in ("halfjaar", "jaar") for p in perioden(van, tot, soort)]
    return pd.DataFrame(rijen, columns=["periode", "periode_start", "periode_eind"])


def _eerste_in_periode(frame: pd.DataFrame, sleutel: str, per: pd.DataFrame) -> pd.DataFrame:
    """Per subject and period: the row of the subject's first date in the period, ties by melding_id."""
    binnen = frame.merge(per, how="cross")
    binnen = binnen[(binnen["datum"] >= binnen["periode_start"]) & (binnen["datum"] <= binnen["periode_eind"])]
    return binnen.sort_values([sleutel, "periode", "datum", "melding_id"]).drop_duplicates([sleutel, "periode"])


def _volg(cohort: pd.DataFrame, kandidaten: pd.DataFrame, data_eind: pd.Timestamp, definitie: str) -> pd.DataFrame:
    """First candidate event strictly after the index date, else censored at the data end. cohort: subject_id,
    periode, index_datum; kandidaten: subject_id, periode, datum (already restricted to the events that count)."""
    na = kandidaten[kandidaten["datum"] > kandidaten["index_datum"]]
    eerste = na.groupby(["subject_id", "periode"], as_index=False)["datum"].min()
    uit = cohort.merge(eerste, on=["subject_id", "periode"], how="left")
    uit["gebeurtenis"] = uit["datum"].notna().astype(int)
    uit["tijd_dagen"] = (uit["datum"].fillna(data_eind) - uit["index_datum"]).dt.days
    uit["definitie_id"] = definitie
    return uit[["definitie_id", "periode", "subject_id", "gemeentecode", "index_datum", "gebeurtenis", "tijd_dagen"]]


def grondwaarheid_opvolging(mel: pd.DataFrame, cas: pd.DataFrame, bet: pd.DataFrame, data_eind: pd.Timestamp,
                            van: int, tot: int, recidive_pleger_start: str = "afsluiting") -> pd.DataFrame:
    """Every cohort member of D2 herhaalde_melding, D3 recidive_pleger and D4(b) intergenerationeel per half year
    and year (its municipality, index date, event or censoring), written from the documentation in
    dbt_project/models/intermediate/_intermediate__models.yml without reading the SQL. Frames with dates:
    mel(melding_id, casus_id, datum_melding, gemeentecode) of delivered meldingen, cas(casus_id, datum_afsluiting)
    as known at the data end, bet(melding_id, persoon_id, rol, geboortejaar) of delivered meldingen."""
    per = _cohortperioden(van, tot)
    optredens = bet.merge(mel, on="melding_id").rename(columns={"datum_melding": "datum"})
    optredens["leeftijd"] = optredens["datum"].dt.year - optredens["geboortejaar"]
    delen = []

    # D2: casussen closed in the period (with a delivered melding: their municipality is that of the first one)
    eerste_melding = mel.sort_values(["casus_id", "datum_melding", "melding_id"]).drop_duplicates("casus_id")
    gesloten = cas.dropna(subset=["datum_afsluiting"]).merge(
        eerste_melding[["casus_id", "gemeentecode", "melding_id"]], on="casus_id")
    gesloten = gesloten.rename(columns={"datum_afsluiting": "datum"}).merge(per, how="cross")
    cohort = gesloten[(gesloten["datum"] >= gesloten["periode_start"]) & (gesloten["datum"] <= gesloten["periode_eind"])]
    cohort = cohort.rename(columns={"casus_id": "subject_id", "datum": "index_datum"})
    personen = optredens[["casus_id", "persoon_id"]].drop_duplicates().rename(columns={"casus_id": "subject_id"})
    andere = personen.merge(optredens[["persoon_id", "casus_id", "datum"]], on="persoon_id")
    andere = andere[andere["casus_id"] != andere["subject_id"]]
    kandidaten = cohort[["subject_id", "periode", "index_datum"]].merge(andere, on="subject_id")
    delen.append(_volg(cohort, kandidaten, data_eind, "herhaalde_melding"))

    # D3: persons as pleger; the clock starts at the closure of, or the melding in, their index casus
    pleger = optredens[optredens["rol"] == "pleger"]
    if recidive_pleger_start == "afsluiting":
        per_casus = pleger.sort_values(["persoon_id", "casus_id", "datum", "melding_id"]).drop_duplicates(
            ["persoon_id", "casus_id"])[["persoon_id", "casus_id", "gemeentecode"]]
        # the lowest melding id per person and casus (a sort, not groupby().min(): pandas has no fast minimum of text
        # and fell back to one Python call per group, a third of the national generator's time)
        laagste = pleger.sort_values("melding_id").drop_duplicates(["persoon_id", "casus_id"])[
            ["persoon_id", "casus_id", "melding_id"]]
        start = per_casus.merge(laagste, on=["persoon_id", "casus_id"]).merge(
            cas.dropna(subset=["datum_afsluiting"]), on="casus_id").rename(columns={"datum_afsluiting": "datum"})
    else:
        start = pleger[["persoon_id", "casus_id", "gemeentecode", "melding_id", "datum"]]
    cohort = _eerste_in_periode(start, "persoon_id", per).rename(
        columns={"persoon_id": "subject_id", "datum": "index_datum", "casus_id": "index_casus"})
    kandidaten = cohort[["subject_id", "periode", "index_datum", "index_casus"]].merge(
        pleger[["persoon_id", "casus_id", "datum"]].rename(columns={"persoon_id": "subject_id"}), on="subject_id")
    kandidaten = kandidaten[kandidaten["casus_id"] != kandidaten["index_casus"]]
    delen.append(_volg(cohort, kandidaten, data_eind, "recidive_pleger"))

    # D4(b): persons seen as a minor of 12-17, followed to an appearance as adult slachtoffer or pleger
    minderjarig = optredens[optredens["leeftijd"].between(12, 17)]
    cohort = _eerste_in_periode(minderjarig, "persoon_id", per).rename(
        columns={"persoon_id": "subject_id", "datum": "index_datum"})
    volwassen = optredens[(optredens["leeftijd"] >= 18) & optredens["rol"].isin(["slachtoffer", "pleger"])]
    kandidaten = cohort[["subject_id", "periode", "index_datum"]].merge(
        volwassen[["persoon_id", "datum"]].rename(columns={"persoon_id": "subject_id"}), on="subject_id")
    delen.append(_volg(cohort, kandidaten, data_eind, "intergenerationeel"))
    return pd.concat(delen, ignore_index=True).sort_values(["definitie_id", "periode", "subject_id"], ignore_index=True)


# ---------------------------------------------------------------------------------------------
# deliveries


def _datum(dag0: date, dag: np.ndarray) -> pd.Series:
    return pd.Series(pd.Timestamp(dag0) + pd.to_timedelta(dag, "D"))


def _levering_frames(per: Periode, dag0: date, mel, cas, bet, personen_info):
    ps = (pd.Timestamp(per.start) - pd.Timestamp(dag0)).days
    pe = (pd.Timestamp(per.eind) - pd.Timestamp(dag0)).days
    m = mel[(mel["dag"] >= ps) & (mel["dag"] <= pe)]
    c = cas[(cas["start"] <= pe) & (cas["sluit"] >= ps)]

    def na(kolom):  # dates after the period's end are not known yet at delivery time
        waarde = c[kolom].to_numpy()
        return np.where((waarde >= 0) & (waarde <= pe), waarde, -1)

    vb, mon, sluit = na("vb"), na("mon"), na("sluit")

    def fmt(dag):
        s = _datum(dag0, np.maximum(dag, 0)).dt.strftime("%Y-%m-%d")
        return s.where(dag >= 0, "").to_numpy()

    casussen = pd.DataFrame({
        "casus_id": c["casus_id"].to_numpy(), "datum_start": fmt(c["start"].to_numpy()),
        "datum_veiligheidsbeoordeling": fmt(vb), "datum_start_monitoring": fmt(mon),
        "datum_afsluiting": fmt(sluit),
        "besluit": np.where(vb >= 0, c["besluit"].to_numpy(), "nog_niet_beoordeeld"),
    })
    meldingen = pd.DataFrame({
        "melding_id": m["melding_id"].to_numpy(), "casus_id": m["casus_id"].to_numpy(),
        "datum_melding": fmt(m["dag"].to_numpy()), "gemeentecode": m["gemeentecode"].to_numpy(),
        "aard_geweld": m["aard_geweld"].to_numpy(), "melder": m["melder"].to_numpy(),
    })
    b = bet[bet["melding"].isin(m["melding"])].merge(personen_info, on="persoon")
    b = b.merge(mel[["melding", "melding_id"]], on="melding").sort_values(["melding", "persoon"])
    geboortejaar = b["geboortejaar"].astype("Int64").astype(str).replace("<NA>", "")
    betrokkenen = pd.DataFrame({
        "melding_id": b["melding_id"].to_numpy(), "persoon_id": b["persoon_id"].to_numpy(),
        "rol": b["rol"].to_numpy(), "geslacht": b["geslacht"].to_numpy(), "geboortejaar": geboortejaar.to_numpy(),
    })
    return {"meldingen": meldingen, "casussen": casussen, "betrokkenen": betrokkenen}


def _write_files(frames: dict[str, pd.DataFrame], map_: Path, formaat: str = "csv",
             sep: str = ",", encoding: str = "utf-8", weglaten: tuple[str, ...] = ()) -> None:
    map_.mkdir(parents=True, exist_ok=True)
    for soort, frame in frames.items():
        if soort in weglaten:
            continue
        if formaat == "parquet":
            frame.to_parquet(map_ / f"{soort}.parquet", index=False)
        else:
            frame.to_csv(map_ / f"{soort}.csv", index=False, sep=sep, encoding=encoding, quoting=csv.QUOTE_MINIMAL)


def genereer(regio: str, van: int, tot: int, periode: str, seed: int, uit: Path,
             grondwaarheid_dir: Path, schaal: float = 1.0, fouten: bool = False,
             formaat: str = "csv", referentie_dir: Path | None = None) -> Generatie:
    """Deliveries for one region, a comma-separated list, or `ALLE` (all 25 Veilig Thuis regions, volumes in
    proportion to population). Each region is simulated on its own random stream (the same seed gives a
    region the same files whichever other regions are generated with it) and with its own pseudonyms:
    persons are linked within a region only (persoon_id scope `regio`)."""
    if tot < van:
        raise ValueError(f"--tot ({tot}) is before --van ({van})")
    if schaal <= 0:
        raise ValueError("--schaal must be positive")
    gekozen = regios(regio)
    totaal = Generatie()
    for code in gekozen:  # one iteration per region; rows are handled vectorised
        deel = _genereer_regio(code, van, tot, periode, seed, uit, grondwaarheid_dir, schaal, fouten, formaat,
                               referentie_dir)
        totaal.leveringen += deel.leveringen
        totaal.afgekeurde_leveringen += deel.afgekeurde_leveringen
        totaal.aantal_meldingen += deel.aantal_meldingen
        for klasse, n in deel.klassen.items():
            totaal.klassen[klasse] = totaal.klassen.get(klasse, 0) + n
        totaal.grondwaarheid = deel.grondwaarheid if len(gekozen) == 1 else grondwaarheid_dir
    return totaal


def _genereer_regio(regio: str, van: int, tot: int, periode: str, seed: int, uit: Path, grondwaarheid_dir: Path,
                    schaal: float, fouten: bool, formaat: str, referentie_dir: Path | None) -> Generatie:
    regio_nr = int(regio[2:])
    rng = np.random.default_rng([seed, regio_nr])
    dag0 = date(van - INLOOP_JAREN, 1, 1)
    dagen = (date(tot, 12, 31) - dag0).days + 1
    eerste_dag = (date(van, 1, 1) - dag0).days
    huis, personen, cas = _simuleer(rng, regio, dag0, dagen, schaal, referentie_dir)
    mel = _meldingen(rng, cas, huis, dagen)
    # a household keeps its place; the code delivered is the place's code on the melding's date
    mel["gemeentecode"] = _code_op(mel["gemeentecode"].to_numpy(), _datum(dag0, mel["dag"].to_numpy()))
    bet = _betrokkenen(rng, mel, personen, huis)
    bet = bet[bet["melding"].isin(mel.loc[mel["dag"] >= eerste_dag, "melding"])]

    salt = seed * 7919 + regio_nr * 104_729
    cas["casus_id"] = _pseudoniem("C", cas["casus"].to_numpy(), salt)
    mel["melding_id"] = _pseudoniem("M", mel["melding"].to_numpy(), salt)
    personen_info = personen.drop_duplicates("persoon")[["persoon", "geboortejaar", "geslacht"]].copy()
    personen_info["persoon_id"] = _pseudoniem("P", personen_info["persoon"].to_numpy(), salt)
    onbekend_jaar = rng.random(len(personen_info)) < 0.05
    personen_info["geboortejaar"] = personen_info["geboortejaar"].astype("Int64").mask(onbekend_jaar)
    mel = mel.merge(cas[["casus", "casus_id"]], left_on="casus", right_on="casus")

    result = Generatie()
    perioden_lijst = perioden(van, tot, periode)
    uit.mkdir(parents=True, exist_ok=True)
    alle_frames = {}
    for per in perioden_lijst:  # one iteration per delivery, not per row
        alle_frames[per.code] = _levering_frames(per, dag0, mel, cas, bet, personen_info)

    defecten: list[dict] = []
    opmaak_per_periode: dict[str, dict] = {}
    if fouten:
        defecten, opmaak_per_periode = _injecteer_fouten(rng, alle_frames, perioden_lijst)
    for code, frames in alle_frames.items():
        map_ = uit / f"{regio}_{code}"
        if map_.exists():
            shutil.rmtree(map_)
        opmaak = opmaak_per_periode.get(code, {})
        _write_files(frames, map_, formaat=opmaak.get("formaat", formaat), sep=opmaak.get("sep", ","),
                 encoding=opmaak.get("encoding", "utf-8"))
        result.leveringen.append(map_)
    if fouten:
        result.afgekeurde_leveringen = _afgekeurde_leveringen(rng, alle_frames, perioden_lijst, regio, uit, defecten)

    # ground truth from the delivered meldingen and the final state of every casus at the data end
    data_eind = pd.Timestamp(date(tot, 12, 31))
    mel = mel[mel["dag"] >= eerste_dag]
    fin = pd.DataFrame({
        "casus_id": cas["casus_id"],
        "datum_start": _datum(dag0, cas["start"].to_numpy()),
        "datum_veiligheidsbeoordeling": _datum(dag0, cas["vb"].to_numpy()),
        "datum_start_monitoring": _datum(dag0, np.maximum(cas["mon"].to_numpy(), 0)).where(cas["mon"].to_numpy() >= 0),
        "datum_afsluiting": _datum(dag0, cas["sluit"].to_numpy()),
    })
    for kolom in ("datum_veiligheidsbeoordeling", "datum_start_monitoring", "datum_afsluiting"):
        fin[kolom] = fin[kolom].where(fin[kolom] <= data_eind)
    gw = grondwaarheid(
        mel.assign(datum_melding=_datum(dag0, mel["dag"].to_numpy()).to_numpy())[["melding_id", "casus_id", "datum_melding"]],
        fin, bet.merge(mel[["melding", "melding_id"]], on="melding").merge(
            personen_info[["persoon", "persoon_id"]], on="persoon")[["melding_id", "persoon_id"]],
        GROUND_TRUTH_LOOKBACK_MAANDEN)
    grondwaarheid_dir.mkdir(parents=True, exist_ok=True)
    gw_pad = grondwaarheid_dir / f"{regio}_klassen.csv"
    gw.to_csv(gw_pad, index=False)
    # D2-D4: every cohort member with its index date and event or censoring time (the final state of every
    # casus and every delivered appearance, with the person's one birth year as planted)
    mel_datum = mel.assign(datum_melding=_datum(dag0, mel["dag"].to_numpy()).to_numpy())
    bet_pers = bet.merge(mel[["melding", "melding_id"]], on="melding").merge(
        personen_info[["persoon", "persoon_id", "geboortejaar"]], on="persoon")
    opvolging = grondwaarheid_opvolging(
        mel_datum[["melding_id", "casus_id", "datum_melding", "gemeentecode"]], fin[["casus_id", "datum_afsluiting"]],
        bet_pers[["melding_id", "persoon_id", "rol", "geboortejaar"]].assign(
            geboortejaar=bet_pers["geboortejaar"].astype("float")), data_eind, van, tot)
    opvolging.to_csv(grondwaarheid_dir / f"{regio}_opvolging.csv", index=False)
    meta = {"regio": regio, "van": van, "tot": tot, "periode": periode, "seed": seed, "schaal": schaal,
            "fouten": fouten, "lookback_maanden": GROUND_TRUTH_LOOKBACK_MAANDEN, "defecten": defecten}
    (grondwaarheid_dir / f"{regio}_generatie.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    result.grondwaarheid = gw_pad
    result.aantal_meldingen = len(mel)
    result.klassen = gw["klasse"].value_counts().to_dict()
    return result


# ---------------------------------------------------------------------------------------------
# defects (--fouten). Each defect is recorded: delivery, file, line, rule it must trigger.

def _plant(defecten, code, soort, frame, rijen, kolom, waarden, regel):
    frame.loc[frame.index[rijen], kolom] = waarden
    for r in np.atleast_1d(rijen):
        defecten.append({"periode": code, "bestand": soort, "regel": int(r) + 2, "kolom": kolom, "regelcode": regel})


def _injecteer_fouten(rng, alle: dict, lijst: list[Periode]) -> tuple[list[dict], dict[str, dict]]:
    """Plant defects in the frames; returns the defect manifest and per-period file format overrides."""
    defecten: list[dict] = []
    opmaak: dict[str, dict] = {}
    codes = [p.code for p in lijst]
    if len(codes) < 6:
        raise ValueError("--fouten needs at least 6 periods to spread its defects over")

    def kies(frame, k):
        return np.sort(rng.choice(len(frame), size=k, replace=False))

    # 1: mixed but valid date formats, and invalid dates
    code = codes[1]
    m = alle[code]["meldingen"]
    rows = kies(m, 30)
    goed_a, goed_b, fout = rows[:10], rows[10:20], rows[20:]
    d = pd.to_datetime(m["datum_melding"])
    m.loc[m.index[goed_a], "datum_melding"] = d.iloc[goed_a].dt.strftime("%Y%m%d").to_numpy()
    m.loc[m.index[goed_b], "datum_melding"] = d.iloc[goed_b].dt.strftime("%d-%m-%Y").to_numpy()
    _plant(defecten, code, "meldingen", m, fout[:5], "datum_melding", "2021-02-30", "datum_ongeldig")
    _plant(defecten, code, "meldingen", m, fout[5:], "datum_melding", d.iloc[fout[5:]].dt.strftime("%d/%m/%Y").to_numpy(), "datum_ongeldig")
    # 2: unknown municipality, codes outside the lists, municipality codes without GM prefix (valid)
    code = codes[2]
    m = alle[code]["meldingen"]
    rows = kies(m, 24)
    _plant(defecten, code, "meldingen", m, rows[:4], "gemeentecode", "GM9999", "gemeente_onbekend")
    _plant(defecten, code, "meldingen", m, rows[4:8], "melder", "99", "code_onbekend")
    _plant(defecten, code, "meldingen", m, rows[8:12], "aard_geweld", "kindermishandeling|stalking", "code_onbekend")
    m.loc[m.index[rows[12:]], "gemeentecode"] = m["gemeentecode"].iloc[rows[12:]].str[2:].str.lstrip("0").to_numpy()
    b = alle[code]["betrokkenen"]
    _plant(defecten, code, "betrokkenen", b, kies(b, 4), "rol", "dader", "code_onbekend")
    # 3: duplicate ids and orphan rows
    code = codes[3]
    m = alle[code]["meldingen"]
    dubbel = m.iloc[:3].copy()
    alle[code]["meldingen"] = m = pd.concat([m, dubbel], ignore_index=True)
    defecten.extend({"periode": code, "bestand": "meldingen", "regel": r + 2, "kolom": "melding_id",
                     "regelcode": "dubbel_id"} for r in range(len(m) - 3, len(m)))
    b = alle[code]["betrokkenen"]
    _plant(defecten, code, "betrokkenen", b, kies(b, 5), "melding_id", "M000000000000", "melding_onbekend")
    m2 = alle[code]["meldingen"]
    _plant(defecten, code, "meldingen", m2, np.array([4, 5]), "casus_id", "C000000000000", "casus_onbekend")
    # 4: dates out of order in casussen
    code = codes[4]
    c = alle[code]["casussen"]
    kandidaten = np.flatnonzero((c["datum_veiligheidsbeoordeling"] != "").to_numpy())
    rows = np.sort(rng.choice(kandidaten, 5, replace=False))
    vb = pd.to_datetime(c["datum_veiligheidsbeoordeling"].iloc[rows])
    c.loc[c.index[rows], "datum_start"] = (vb + pd.Timedelta(days=3)).dt.strftime("%Y-%m-%d").to_numpy()
    defecten.extend({"periode": code, "bestand": "casussen", "regel": int(r) + 2,  # the later date is reported
                     "kolom": "datum_veiligheidsbeoordeling", "regelcode": "datum_volgorde"} for r in rows)
    # 5: semicolon CSV in Windows-1252 with an extra free-text column (kept out, reported)
    code = codes[5]
    opmaak[code] = {"sep": ";", "encoding": "cp1252"}
    alle[code]["meldingen"]["toelichting"] = "coördinatie met één ketenpartner"
    return defecten, opmaak


def _afgekeurde_leveringen(rng, alle, lijst, regio, uit, defecten) -> list[Path]:
    """Whole deliveries that must be rejected, for periods after the generated range."""
    laatste = lijst[-1]
    soort = laatste.code[4:6]
    volgende = [p for j in (laatste.jaar + 1, laatste.jaar + 2)
                for p in perioden(j, j, {"HJ": "halfjaar", "KW": "kwartaal", "MM": "maand", "JJ": "jaar"}[soort])]
    bron = alle[laatste.code]
    mappen = []

    def frames_voor(per: Periode):
        frames = {k: v.copy() for k, v in bron.items()}
        frames["meldingen"]["datum_melding"] = per.start.isoformat()
        return frames

    def bsn_waarden(n):  # random numbers that pass the eleven-test, never real ones
        digits = rng.integers(0, 10, size=(n * 2, 9))
        digits[:, 0] = rng.integers(1, 10, n * 2)
        digits[:, 8] = (digits[:, :8] * np.arange(9, 1, -1)).sum(axis=1) % 11
        digits = digits[digits[:, 8] < 10][:n]
        return (digits @ (10 ** np.arange(8, -1, -1))).astype(str)

    gevallen = [
        ("bsn_kolom", lambda f: f["betrokkenen"].insert(1, "BSN", bsn_waarden(len(f["betrokkenen"])))),
        ("verborgen_bsn", lambda f: f["betrokkenen"].insert(2, "kenmerk", bsn_waarden(len(f["betrokkenen"])))),
        ("bestand_ontbreekt", None),
        ("kolom_ontbreekt", lambda f: f["meldingen"].drop(columns=["melder"], inplace=True)),
    ]
    for per, (naam, wijzig) in zip(volgende, gevallen, strict=False):  # more periods than cases
        frames = frames_voor(per)
        if wijzig:
            wijzig(frames)
        map_ = uit / f"{regio}_{per.code}"
        if map_.exists():
            shutil.rmtree(map_)
        _write_files(frames, map_, weglaten=("betrokkenen",) if naam == "bestand_ontbreekt" else ())
        defecten.append({"periode": per.code, "bestand": "*", "regel": 0, "kolom": "", "regelcode": naam})
        mappen.append(map_)
    return mappen
