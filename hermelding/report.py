"""The quarterly report: one self-contained Dutch HTML file and an Excel workbook with the same figures.

    hermelding rapport --kwartaal 2025KW3   ->   <marts_dir>/rapporten/2025KW03/
        hermelding_<regio>_2025KW03.html    opens offline (charts inline as PNG), printable to PDF
        hermelding_<regio>_2025KW03.xlsx    a sheet per indicator, "." for suppressed cells (as CBS)

Only public (openbaar) marts are read, through `hermelding.reader` (never the warehouse or the build
database): from the release frozen for the quarter, or the current release, which the first page then says.
The figures are computed in SQL on the release; pandas only shapes the small result frames for the
charts (matplotlib, Agg, greyscale: markers and line styles, never colour alone), the HTML and Excel.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from hermelding.config import Config, load_config
from hermelding.periode import normalise_kwartaal, parse_periode, vorige_periode
from hermelding.reader import ReleaseView, open_release
from hermelding.statistiek import Z_95, Z_998, funnel_grenzen

HERMELDING = "hermelding_regio_periode_openbaar"
COHORT = "herhaling_cohort_openbaar"
CURVE = "herhaling_curve_maand_openbaar"
INTERGENERATIONEEL = "intergenerationeel_regio_periode_openbaar"
BESLUIT = "herhaling_besluit_openbaar"
EERDER_GEZIEN = "eerder_gezien_regio_periode_openbaar"
KWARTALEN_IN_TREND = 8
COHORTEN_IN_GRAFIEK = 4
# greyscale-safe styles: each series differs by marker and line style, not by colour alone
STIJLEN = [("o", "-"), ("s", "--"), ("^", "-."), ("D", ":"), ("v", (0, (5, 1, 1, 1)))]
ONDERDRUKT = "."  # as in CBS tables: figure not published (too small, or would reveal a small one)
# what D2 by besluit can and cannot say (report and notebook 02)
BESLUIT_ZIN = ("Let op: dit laat een samenhang zien, geen oorzaak. Veilig Thuis besluit tot onderzoek of overdracht "
               "juist bij zwaardere situaties, dus een hoger percentage na een besluit betekent niet dat dat besluit "
               "tot meer nieuwe meldingen leidt.")

UITLEG = {
    "eerdere_betrokkenheid": (
        "Hermelding (D1, de CBS-definitie): van alle meldingen die Veilig Thuis in een periode ontving, het deel "
        "waarbij ten minste één betrokkene al bekend was uit een eerdere, afgesloten casus in de "
        "{lookback} daarvoor. Een melding over een casus die nog loopt, heet vervolgmelding en telt niet mee."),
    "herhaalde_melding": (
        "Herhaalde melding (D2): we volgen de casussen die in een periode zijn afgesloten en tellen hoeveel procent "
        "binnen 6, 12 of 24 maanden opnieuw gemeld wordt, in een nieuwe casus met ten minste één van dezelfde "
        "betrokkenen. Casussen die we nog niet zo lang kunnen volgen, tellen mee zolang we ze zien "
        "(Kaplan-Meier)."),
    "recidive_pleger": (
        "Recidive pleger (D3): van de {d3_cohort}, het percentage dat binnen 12 of 24 maanden (geteld vanaf "
        "{d3_index}) opnieuw als pleger voorkomt in een melding over een andere casus. De rol "
        "'pleger' is niet altijd ingevuld; daardoor is dit cijfer eerder te laag dan te hoog."),
    "intergenerationeel": (
        "Intergenerationeel (D4): (a) van de volwassen slachtoffers en plegers in een periode het deel dat eerder, "
        "als minderjarige, al in een melding voorkwam; (b) van de jongeren van 12-17 jaar in een periode het deel "
        "dat later als volwassen slachtoffer of pleger terugkomt. Omdat de gegevens pas in {begin} beginnen, "
        "kan 'eerder' niet verder terugkijken dan dat: de eerste jaren zijn daardoor (te) laag."),
}
# D3's cohort in words for each value of recidive_pleger_start (hermelding.toml), the one place the report, its
# Excel and the notebooks take it from; the definition itself: int_recidive_pleger.sql and its YAML doc
D3_COHORT = {
    "afsluiting": ("plegers van wie een casus in {periode} is afgesloten", "de eerste afsluiting van zo'n casus"),
    "melding": ("personen die in {periode} als pleger in een melding zijn geregistreerd",
                "hun eerste melding als pleger in die periode"),
}


def d3_cohort(recidive_pleger_start: str | None = None, periode: str = "een periode") -> tuple[str, str]:
    """(who is in a D3 cohort, where their clock starts), in Dutch, for the configured recidive_pleger_start
    (default: hermelding.toml of the project found from the working folder)."""
    if recidive_pleger_start is None:
        recidive_pleger_start = load_config().recidive_pleger_start
    cohort, index = D3_COHORT[recidive_pleger_start]
    return cohort.format(periode=periode), index


def uitleg(definitie_id: str, data: ReportData) -> str:
    """The plain-Dutch explanation of a definition (UITLEG) filled in for this report."""
    cohort, index = d3_cohort(data.recidive_pleger_start)
    return UITLEG.get(definitie_id, "").format(lookback=_lookback_tekst(data.lookback_maanden),
                                               begin=data.gegevens_begin.year, d3_cohort=cohort, d3_index=index)


VLAGGEN = {  # the values of the public *_vlag columns (docs/openbaarmaking.md, rule 6)
    "onderdrukt": "niet gepubliceerd ter bescherming: het aantal is na afronding te klein, zou een ander "
                  "onderdrukt getal terug laten rekenen, of het cijfer is berekend uit een onderdrukt aantal",
    "niet_openbaar": "deze tabel publiceert dit cijfer nooit, bijvoorbeeld een hermeldingspercentage zonder volledige "
                     "terugkijkperiode of een cohortpercentage waar het cohort nog niet de hele horizon is gevolgd",
}


class ReportError(RuntimeError):
    """The report cannot be made; the message says why and what to do."""


@dataclass
class ReportData:
    """Everything the HTML and the workbook show, computed once."""

    release: ReleaseView
    kwartaal: str
    regiocode: str
    regionaam: str
    bevroren: bool
    lookback_maanden: int | None
    gegevens_begin: date
    kop: dict
    trend: pd.DataFrame          # region and municipalities x last eight quarters
    trechter: pd.DataFrame       # municipalities in the quarter with control limits
    cohorten: pd.DataFrame       # D2, D3, D4(b): region and municipalities, half-year cohorts
    curven: pd.DataFrame         # D2, D3: the region's monthly curve per half-year cohort (publishable months)
    naast_elkaar: pd.DataFrame   # the definitions side by side for one year (definities_naast_elkaar)
    besluit: pd.DataFrame        # D2 by besluit, region and municipalities, year cohorts (d2_naar_besluit)
    intergeneratie: pd.DataFrame  # D4(a): region and municipalities, half years
    definities: pd.DataFrame
    leveringen: pd.DataFrame
    onderdrukking: pd.DataFrame
    recidive_pleger_start: str   # hermelding.toml: where D3's clock starts (d3_cohort says it in words)
    afronding: dict = field(default_factory=dict)


@dataclass
class ReportResult:
    kwartaal: str
    regiocode: str
    release_id: str
    bevroren: bool
    html: Path
    excel: Path


# --- figures ---------------------------------------------------------------------------------------

def _regio(release: ReleaseView, regio: str | None) -> tuple[str, str]:
    regios = release.sql(f"select distinct regiocode, regionaam from {HERMELDING} where regiotype = 'vt_regio' "
                         "order by regiocode")
    if regio:
        gevonden = regios[regios.regiocode == regio.upper()]
        if gevonden.empty:
            raise ReportError(f"Region '{regio}' is not in release {release.release_id}; regions: "
                              f"{', '.join(regios.regiocode)}.")
        return gevonden.regiocode.iloc[0], gevonden.regionaam.iloc[0]
    if len(regios) != 1:
        raise ReportError(f"Release {release.release_id} holds {len(regios)} regions "
                          f"({', '.join(regios.regiocode)}): choose one with --regio.")
    return regios.regiocode.iloc[0], regios.regionaam.iloc[0]


def latest_complete_quarter(release: ReleaseView, regiocode: str) -> str:
    rij = release.sql(f"""
        select max(periode) from {HERMELDING}
        where regiotype = 'vt_regio' and regiocode = ? and periodesoort = 'kwartaal' and periode_compleet
    """, [regiocode]).iloc[0, 0]
    if rij is None or pd.isna(rij):
        raise ReportError(f"Release {release.release_id} has no complete quarter for {regiocode} yet.")
    return rij


def _lookback(release: ReleaseView) -> int | None:
    waarde = release.sql(f"select max(lookback_maanden) from {HERMELDING}").iloc[0, 0]
    return None if waarde is None or pd.isna(waarde) else int(waarde)


def _d3_startpunt(release: ReleaseView) -> str | None:
    """Where D3's clock starts in the build of this release (dim_definitie.startpunt); None for a release made
    before the column existed."""
    kolommen = release.sql("select * from dim_definitie limit 0").columns
    if "startpunt" not in kolommen:
        return None
    waarde = release.sql("select max(startpunt) from dim_definitie where definitie_id = 'recidive_pleger'").iloc[0, 0]
    return None if waarde is None or pd.isna(waarde) else str(waarde)


def _gegevens_begin(release: ReleaseView, regiocode: str) -> date:
    """First day of the region's data: its earliest delivered period (release.json), else its earliest period."""
    perioden = [i["periode"] for i in release.info.get("invoer", []) if i.get("regio") == regiocode and i.get("periode")]
    if perioden:
        return min(parse_periode(p).start for p in perioden)
    return release.sql(f"select min(periode_start)::date from {HERMELDING} where regiocode = ?", [regiocode]).iloc[0, 0]


def _plus_maanden(dag: date, maanden: int) -> date:
    index = dag.year * 12 + dag.month - 1 + maanden
    return date(index // 12, index % 12 + 1, 1)


def _headline(trend: pd.DataFrame, regiocode: str, kwartaal: str) -> dict:
    regio = trend[trend.regiocode == regiocode].set_index("periode")
    nu = regio.loc[kwartaal]
    jaar_eerder = vorige_periode(kwartaal, 4)
    vorig = regio.loc[jaar_eerder] if jaar_eerder in regio.index else None
    kop = {"kwartaal": kwartaal, "meldingen": nu.meldingen, "hermelding": nu.hermelding,
           "pct": nu.hermelding_pct, "ci_onder": nu.hermelding_pct_ci_onder, "ci_boven": nu.hermelding_pct_ci_boven,
           "volledige_terugkijk": bool(nu.volledige_terugkijk), "vorig_kwartaal": jaar_eerder,
           "vorig_pct": None, "vorig_ci_onder": None, "vorig_ci_boven": None, "verschil": None,
           "verschil_significant": None}
    if vorig is not None:
        kop.update(vorig_pct=vorig.hermelding_pct, vorig_ci_onder=vorig.hermelding_pct_ci_onder,
                   vorig_ci_boven=vorig.hermelding_pct_ci_boven)
        if not (pd.isna(nu.hermelding_pct) or pd.isna(vorig.hermelding_pct)):
            kop["verschil"] = nu.hermelding_pct - vorig.hermelding_pct
            # standard errors recovered from the published 95% intervals (the counts behind them are rounded)
            se = math.hypot((nu.hermelding_pct_ci_boven - nu.hermelding_pct_ci_onder) / (2 * Z_95),
                            (vorig.hermelding_pct_ci_boven - vorig.hermelding_pct_ci_onder) / (2 * Z_95))
            kop["verschil_significant"] = bool(se > 0 and abs(kop["verschil"]) / se > Z_95)
    return kop


def _funnel(trend: pd.DataFrame, kop: dict, kwartaal: str) -> pd.DataFrame:
    gemeenten = trend[(trend.regiotype == "gemeente") & (trend.periode == kwartaal)].copy()
    p = (kop["pct"] or float("nan")) / 100
    for naam, z in (("95", Z_95), ("998", Z_998)):
        gemeenten[f"grens_{naam}_onder"], gemeenten[f"grens_{naam}_boven"] = funnel_grenzen(
            p, gemeenten.meldingen, z)

    def oordeel(rij) -> str:
        if pd.isna(rij.hermelding_pct):
            return "niet te beoordelen (onderdrukt)"
        if rij.hermelding_pct > rij.grens_998_boven:
            return "hoger dan de regio (buiten 99,8%-grens)"
        if rij.hermelding_pct < rij.grens_998_onder:
            return "lager dan de regio (buiten 99,8%-grens)"
        if rij.hermelding_pct > rij.grens_95_boven:
            return "mogelijk hoger (buiten 95%-grens)"
        if rij.hermelding_pct < rij.grens_95_onder:
            return "mogelijk lager (buiten 95%-grens)"
        return "past bij de regio"

    gemeenten["oordeel"] = gemeenten.apply(oordeel, axis=1) if len(gemeenten) else []
    return gemeenten.sort_values("regionaam").reset_index(drop=True)


def collect(release: ReleaseView, kwartaal: str | None = None, regio: str | None = None,
            recidive_pleger_start: str | None = None) -> ReportData:
    """All figures of the report, from the public marts of one release. recidive_pleger_start: D3's clock start
    (default: the one the release was built with, dim_definitie.startpunt; for an older release without it,
    hermelding.toml of the project found from the working folder)."""
    if recidive_pleger_start is None:
        recidive_pleger_start = _d3_startpunt(release) or load_config().recidive_pleger_start
    regiocode, regionaam = _regio(release, regio)
    kwartaal = normalise_kwartaal(kwartaal) if kwartaal else latest_complete_quarter(release, regiocode)
    beschikbaar = release.sql(f"select distinct periode from {HERMELDING} where periodesoort = 'kwartaal' "
                              "and regiocode = ? order by periode", [regiocode]).periode.tolist()
    if kwartaal not in beschikbaar:
        raise ReportError(f"Release {release.release_id} has no figures for {kwartaal} in {regiocode}; quarters "
                          f"available: {beschikbaar[0] if beschikbaar else '-'} .. {beschikbaar[-1] if beschikbaar else '-'}.")
    lookback = _lookback(release)
    begin = _gegevens_begin(release, regiocode)
    volledig_vanaf = _plus_maanden(begin, lookback) if lookback else None
    kwartalen = [vorige_periode(kwartaal, i) for i in range(KWARTALEN_IN_TREND - 1, -1, -1)]
    trend = release.sql(f"""
        select regiotype, regiocode, regionaam, periode, periode_start::date as periode_start, periode_compleet,
            meldingen, hermelding, hermelding_pct, hermelding_pct_ci_onder, hermelding_pct_ci_boven,
            meldingen_vlag, hermelding_vlag, hermelding_pct_vlag,
            coalesce(periode_start::date >= ?::date, false) as volledige_terugkijk
        from {HERMELDING}
        where periode in (select unnest(?::varchar[]))
            and ((regiotype = 'vt_regio' and regiocode = ?)
                or (regiotype = 'gemeente' and regiocode in (
                    select gemeentecode from dim_gemeente where vt_regio = ?)))
        order by regiotype desc, regionaam, periode
    """, [volledig_vanaf, kwartalen, regiocode, regiocode])
    kop = _headline(trend, regiocode, kwartaal)
    cohorten = release.sql(f"""
        select c.definitie_id, c.regiotype, c.regiocode, coalesce(g.gemeentenaam, ?) as regionaam,
            c.cohort_periode, c.horizon_maanden, c.cohort_omvang, c.aantal_gebeurtenissen, c.cumulatief_pct,
            c.cumulatief_pct_ci_onder, c.cumulatief_pct_ci_boven, c.volledige_followup, c.rol_onbekend_pct,
            c.cumulatief_pct_vlag
        from {COHORT} as c
        left join dim_gemeente as g on g.gemeentecode = c.regiocode
        where c.periodesoort = 'halfjaar' and c.cohort_periode <= ?
            and ((c.regiotype = 'vt_regio' and c.regiocode = ?) or (c.regiotype = 'gemeente' and g.vt_regio = ?))
        order by c.definitie_id, c.regiotype desc, regionaam, c.cohort_periode, c.horizon_maanden
    """, [regionaam, _halfjaar_van(kwartaal), regiocode, regiocode])
    curven = release.sql(f"""
        select definitie_id, cohort_periode, horizon_maanden as maand, cumulatief_pct
        from {CURVE}
        where periodesoort = 'halfjaar' and cohort_periode <= ? and regiotype = 'vt_regio' and regiocode = ?
            and cumulatief_pct is not null
        order by definitie_id, cohort_periode, maand
    """, [_halfjaar_van(kwartaal), regiocode])
    intergeneratie = release.sql(f"""
        select i.regiotype, i.regiocode, coalesce(g.gemeentenaam, ?) as regionaam, i.periode,
            i.volwassen_personen, i.eerder_als_minderjarige, i.eerder_als_minderjarige_pct,
            i.eerder_als_minderjarige_pct_ci_onder, i.eerder_als_minderjarige_pct_ci_boven,
            i.uitgesloten_onbekend_geboortejaar, i.eerder_als_minderjarige_pct_vlag
        from {INTERGENERATIONEEL} as i
        left join dim_gemeente as g on g.gemeentecode = i.regiocode
        where i.periodesoort = 'halfjaar' and i.periode <= ?
            and ((i.regiotype = 'vt_regio' and i.regiocode = ?) or (i.regiotype = 'gemeente' and g.vt_regio = ?))
        order by i.regiotype desc, regionaam, i.periode
    """, [regionaam, _halfjaar_van(kwartaal), regiocode, regiocode])
    definities = release.sql("select definitie_id, naam, versie, parameters, parameterwaarden, omschrijving "
                             "from dim_definitie order by definitie_id")
    leveringen = pd.DataFrame([i for i in release.info.get("invoer", []) if i.get("regio") == regiocode])
    for kolom in ("levering_id", "periode", "quarantaine_pct"):
        if kolom not in leveringen:
            leveringen[kolom] = pd.NA
    onderdrukking = release.sql(f"""
        select 'Hermelding (D1): aantal hermeldingen' as tabel, hermelding_vlag as reden, count(*) as cellen
        from {HERMELDING} where regiocode in (select unnest(?::varchar[])) and periode in (select unnest(?::varchar[]))
            and hermelding_vlag is not null group by all
        union all
        select 'Cohorten (D2, D3, D4b): aantal gebeurtenissen', aantal_gebeurtenissen_vlag, count(*) from {COHORT}
        where periodesoort = 'halfjaar' and aantal_gebeurtenissen_vlag is not null
            and regiocode in (select unnest(?::varchar[])) group by all
        union all
        select 'Intergenerationeel (D4a): eerder als minderjarige', eerder_als_minderjarige_vlag, count(*)
        from {INTERGENERATIONEEL}
        where periodesoort = 'halfjaar' and eerder_als_minderjarige_vlag is not null
            and regiocode in (select unnest(?::varchar[])) group by all
        order by 1, 2
    """, [trend.regiocode.unique().tolist(), kwartalen, trend.regiocode.unique().tolist(),
          trend.regiocode.unique().tolist()])
    return ReportData(
        release=release, kwartaal=kwartaal, regiocode=regiocode, regionaam=regionaam,
        bevroren=kwartaal in release.frozen_for, lookback_maanden=lookback, gegevens_begin=begin, kop=kop,
        trend=trend, trechter=_funnel(trend, kop, kwartaal), cohorten=cohorten, curven=curven,
        naast_elkaar=definities_naast_elkaar(release, regiocode, int(kwartaal[:4]), recidive_pleger_start),
        besluit=d2_naar_besluit(release, regiocode, int(kwartaal[:4])), intergeneratie=intergeneratie,
        definities=definities, leveringen=leveringen, onderdrukking=onderdrukking,
        recidive_pleger_start=recidive_pleger_start)


# the side-by-side and the besluit sections when no D2 year cohort has been followed for its longest horizon yet
NOG_GEEN_JAAR = ("Nog geen cijfers: er is in deze release nog geen jaar waarvan de afgesloten casussen de langste "
                 "horizon hebben doorlopen met een gepubliceerd percentage.")


def definities_naast_elkaar(release: ReleaseView, regiocode: str, tot_jaar: int | None = None,
                            recidive_pleger_start: str | None = None) -> pd.DataFrame:
    """The definitions side by side for one region and one year (issue 12, section 5): why one region can honestly
    report very different 'recidive' figures. The year is the latest (up to `tot_jaar`) whose D2 cohort has been
    followed for its longest configured horizon, so every line is about the same year. Published figures only
    (public marts); a line the release does not publish says so and why. One row per line: regel, definitie (one
    Dutch sentence), periode, pct, ci_onder, ci_boven, toelichting; no rows when there is no such year yet."""
    cohort = release.sql(f"""
        select definitie_id, cohort_periode, horizon_maanden, cumulatief_pct, cumulatief_pct_ci_onder,
            cumulatief_pct_ci_boven
        from {COHORT}
        where regiotype = 'vt_regio' and regiocode = ? and periodesoort = 'jaar'
    """, [regiocode])
    d2 = cohort[cohort.definitie_id == "herhaalde_melding"]
    langste = int(d2.horizon_maanden.max()) if len(d2) else None
    volledig = d2[(d2.horizon_maanden == langste) & d2.cumulatief_pct.notna()].cohort_periode
    if tot_jaar is not None:
        volledig = volledig[volledig.str[:4].astype(int) <= tot_jaar]
    if volledig.empty:  # short data: the report says so (NOG_GEEN_JAAR) instead of failing
        return pd.DataFrame(columns=["regel", "definitie", "periode", "pct", "ci_onder", "ci_boven", "toelichting"])
    jaar = volledig.max()
    d1 = release.sql(f"select hermelding_pct, hermelding_pct_ci_onder, hermelding_pct_ci_boven from {HERMELDING} "
                     "where regiotype = 'vt_regio' and regiocode = ? and periode = ?", [regiocode, jaar])
    lookback = _lookback(release)
    jaartal = jaar[:4]
    rijen = [{
        "regel": f"CBS-hermelding (D1), {_lookback_tekst(lookback)} terugkijken",
        "definitie": f"Van de meldingen die in {jaartal} binnenkwamen, het deel met een betrokkene uit een afgesloten "
                     f"casus in de {_lookback_tekst(lookback)} ervoor.",
        "periode": jaar, "pct": d1.hermelding_pct.iloc[0] if len(d1) else None,
        "ci_onder": d1.hermelding_pct_ci_onder.iloc[0] if len(d1) else None,
        "ci_boven": d1.hermelding_pct_ci_boven.iloc[0] if len(d1) else None, "toelichting": ""}, {
        "regel": "Hermelding (D1) met onbeperkte terugkijkperiode",
        "definitie": "Als hierboven, maar met een betrokkene uit een afgesloten casus ooit eerder in de gegevens.",
        "periode": jaar, "pct": None, "ci_onder": None, "ci_boven": None,
        "toelichting": "Niet openbaar: onbeperkt terugkijken hangt af van hoe ver de gegevens teruggaan en is nooit "
                       "volledig; intern te berekenen met hermelding gevoeligheid --lookback 0 --intern."}]
    for definitie_id, naam, zin in (
            ("herhaalde_melding", "Herhaalde melding na afsluiting (D2)",
             "Van de casussen die in {jaar} zijn afgesloten, het deel waarover binnen {h} maanden opnieuw is gemeld."),
            ("recidive_pleger", "Recidive pleger (D3)",
             f"Van de {d3_cohort(recidive_pleger_start, '{jaar}')[0]}, het deel dat binnen {{h}} maanden opnieuw "
             "als pleger is gemeld.")):
        eigen = cohort[(cohort.definitie_id == definitie_id) & (cohort.cohort_periode == jaar)]
        for h in sorted(eigen.horizon_maanden.unique()):
            if definitie_id == "herhaalde_melding" and h < 12:
                continue
            r = eigen[eigen.horizon_maanden == h].iloc[0]
            rijen.append({"regel": f"{naam}, {int(h)} maanden", "definitie": zin.format(jaar=jaartal, h=int(h)),
                          "periode": jaar, "pct": r.cumulatief_pct, "ci_onder": r.cumulatief_pct_ci_onder,
                          "ci_boven": r.cumulatief_pct_ci_boven, "toelichting": ""})
    gezien = release.sql(f"select eerder_gezien_pct, eerder_gezien_pct_ci_onder, eerder_gezien_pct_ci_boven, "
                         f"eerder_gezien_pct_vlag from {EERDER_GEZIEN} where regiotype = 'vt_regio' and regiocode = ? "
                         "and periode = ?", [regiocode, jaar])
    begin = _gegevens_begin(release, regiocode).year
    rijen.append({
        "regel": "Gezinnen ooit eerder gezien",
        "definitie": f"Van de meldingen in {jaartal}, het deel met een betrokkene die ooit eerder bij Veilig Thuis "
                     "bekend was (ook uit een casus die nog liep).",
        "periode": jaar, "pct": gezien.eerder_gezien_pct.iloc[0] if len(gezien) else None,
        "ci_onder": gezien.eerder_gezien_pct_ci_onder.iloc[0] if len(gezien) else None,
        "ci_boven": gezien.eerder_gezien_pct_ci_boven.iloc[0] if len(gezien) else None,
        "toelichting": (f"‘Ooit’ is hier: sinds het begin van de gegevens ({begin}); met een langere geschiedenis zou "
                        "het hoger zijn." if len(gezien) and pd.notna(gezien.eerder_gezien_pct.iloc[0]) else
                        "Onderdrukt of niet in deze release.")})
    return pd.DataFrame(rijen)


def d2_naar_besluit(release: ReleaseView, regiocode: str, tot_jaar: int | None = None) -> pd.DataFrame:
    """D2 broken down by what Veilig Thuis decided in the closed casus (issue 12, section 5), from the public
    herhaling_besluit_openbaar, for the region and its municipalities and the year cohorts up to `tot_jaar`: one
    row per region x cohort year x horizon x besluit (regiotype, regiocode, regionaam, cohort_periode,
    horizon_maanden, besluit, besluit_naam, cohort_omvang, aantal_gebeurtenissen, pct, ci_onder, ci_boven,
    volledige_followup). Empty counts and percentages are suppressed or not public (flag columns of the mart)."""
    from hermelding.reference import codelijst_namen, d2_besluit_delen

    breed = release.sql(f"""
        select b.*, coalesce(g.gemeentenaam, ?) as regionaam
        from {BESLUIT} as b
        left join dim_gemeente as g on g.gemeentecode = b.regiocode
        where ((b.regiotype = 'vt_regio' and b.regiocode = ?) or (b.regiotype = 'gemeente' and g.vt_regio = ?))
            and cast(left(b.cohort_periode, 4) as integer) <= ?
        order by b.regiotype desc, regionaam, b.cohort_periode, b.horizon_maanden
    """, [_regio(release, regiocode)[1], regiocode, regiocode, tot_jaar if tot_jaar is not None else 9999])
    namen = codelijst_namen("besluit")
    sleutel = ["regiotype", "regiocode", "regionaam", "cohort_periode", "horizon_maanden", "volledige_followup"]
    delen = [breed[sleutel].assign(
        besluit=d, besluit_naam=namen.get(d, d), cohort_omvang=breed[f"cohort_omvang_{d}"],
        aantal_gebeurtenissen=breed[f"aantal_gebeurtenissen_{d}"], pct=breed[f"cumulatief_pct_{d}"],
        ci_onder=breed[f"cumulatief_pct_{d}_ci_onder"], ci_boven=breed[f"cumulatief_pct_{d}_ci_boven"])
        for d in d2_besluit_delen()]
    if not delen or breed.empty:
        return pd.DataFrame(columns=[*sleutel, "besluit", "besluit_naam", "cohort_omvang", "aantal_gebeurtenissen",
                                     "pct", "ci_onder", "ci_boven"])
    return pd.concat(delen, ignore_index=True)


def _halfjaar_van(kwartaal: str) -> str:
    """The last half year that ends by the end of the quarter (cohorts after it would use later data)."""
    jaar, nr = int(kwartaal[:4]), int(kwartaal[6:])
    return f"{jaar - 1}HJ02" if nr == 1 else f"{jaar}HJ0{1 if nr < 4 else 2}"


# --- Dutch number formatting -----------------------------------------------------------------------

def getal(waarde, decimalen: int = 0) -> str:
    """A number as Dutch text (1.175 / 38,8); '.' when suppressed or missing."""
    if waarde is None or pd.isna(waarde):
        return ONDERDRUKT
    tekst = f"{float(waarde):,.{decimalen}f}"
    return tekst.replace(",", "_").replace(".", ",").replace("_", ".")


def _pct(waarde) -> str:
    tekst = getal(waarde, 1)
    return tekst if tekst == ONDERDRUKT else f"{tekst}%"


def interval(onder, boven) -> str:
    if onder is None or boven is None or pd.isna(onder) or pd.isna(boven):
        return ONDERDRUKT
    return f"{getal(onder, 1)} – {getal(boven, 1)}"


def periode_naam(code: str) -> str:
    soort, nr = code[4:6], int(code[6:])
    if soort == "KW":
        return f"{nr}e kwartaal {code[:4]}"
    if soort == "HJ":
        return f"{nr}e halfjaar {code[:4]}"
    return code[:4]


def kort(code: str) -> str:
    """'2025KW03' -> '2025-K3', for axis labels."""
    return f"{code[:4]}-{'K' if code[4:6] == 'KW' else 'H'}{int(code[6:])}"


# --- charts ----------------------------------------------------------------------------------------

def _figure(breedte: float = 8, hoogte: float = 4):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(breedte, hoogte), dpi=110, layout="constrained")
    return fig


def _style(ax) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.grid(True, color="#cccccc", linewidth=0.6)
    ax.set_axisbelow(True)
    for kant in ("top", "right"):
        ax.spines[kant].set_visible(False)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _p: getal(y, 0)))


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor="white")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def chart_trend(data: ReportData) -> str:
    regio = data.trend[data.trend.regiotype == "vt_regio"].reset_index(drop=True)
    fig = _figure(8, 3.6)
    ax = fig.add_subplot()
    x = range(len(regio))
    ax.fill_between(x, regio.hermelding_pct_ci_onder.astype(float), regio.hermelding_pct_ci_boven.astype(float),
                    color="#d9d9d9", label="95%-interval")
    ax.plot(x, regio.hermelding_pct.astype(float), color="black", linestyle="-", label=data.regionaam)
    vol = regio.volledige_terugkijk.astype(bool)
    ax.plot([i for i in x if vol[i]], regio.hermelding_pct[vol].astype(float), "o", color="black",
            label="volledige terugkijkperiode")
    if (~vol).any():
        ax.plot([i for i in x if not vol[i]], regio.hermelding_pct[~vol].astype(float), "o", markerfacecolor="white",
                color="black", label="terugkijkperiode onvolledig (te laag)")
    ax.set_xticks(list(x), [kort(p) for p in regio.periode])
    ax.set_ylabel("Hermelding (% van de meldingen)")
    ax.set_xlabel("Kwartaal")
    _style(ax)
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    return _png(fig)


def chart_gemeenten(data: ReportData) -> str:
    gemeenten = data.trend[data.trend.regiotype == "gemeente"]
    regio = data.trend[data.trend.regiotype == "vt_regio"].reset_index(drop=True)
    namen = sorted(gemeenten.regionaam.unique())
    kolommen = 4
    rijen = max(1, math.ceil(len(namen) / kolommen))
    fig = _figure(8, 1.9 * rijen + 0.4)
    assen = fig.subplots(rijen, kolommen, sharex=True, sharey=True, squeeze=False)
    x = list(range(len(regio)))
    hoogste = max(50.0, float(gemeenten.hermelding_pct_ci_boven.max(skipna=True) or 0) + 5)
    for i, ax in enumerate(assen.flat):
        if i >= len(namen):
            ax.set_visible(False)
            continue
        g = gemeenten[gemeenten.regionaam == namen[i]].set_index("periode").reindex(regio.periode)
        ax.plot(x, regio.hermelding_pct.astype(float), color="#888888", linestyle="--", linewidth=1)
        pct = g.hermelding_pct.astype(float).to_numpy()
        fout = [pct - g.hermelding_pct_ci_onder.astype(float).to_numpy(),
                g.hermelding_pct_ci_boven.astype(float).to_numpy() - pct]
        ax.errorbar(x, pct, yerr=fout, color="black", marker="o", markersize=3, linewidth=1, elinewidth=0.6,
                    capsize=1.5)
        ax.set_title(namen[i], fontsize=9)
        ax.set_ylim(0, hoogste)
        _style(ax)
        ax.set_xticks([0, len(x) - 1], [kort(regio.periode.iloc[0]), kort(regio.periode.iloc[-1])], fontsize=7)
        ax.tick_params(labelsize=7)
    fig.supylabel("Hermelding (%)", fontsize=9)
    fig.supxlabel("Kwartaal  (stippellijn: de regio; ontbrekend punt: onderdrukt)", fontsize=8)
    return _png(fig)


def chart_funnel(data: ReportData) -> str:
    import numpy as np

    t = data.trechter
    p = float(data.kop["pct"]) if data.kop["pct"] is not None and not pd.isna(data.kop["pct"]) else float("nan")
    fig = _figure(8, 4.4)
    ax = fig.add_subplot()
    n_max = max(float(t.meldingen.max(skipna=True) or 10), 10.0) * 1.15
    n = np.linspace(5, n_max, 300)
    ax.axhline(p, color="black", linewidth=1.2, label=f"regio {getal(p, 1)}%")
    for z, stijl, label in ((Z_95, "--", "95%-grens"), (Z_998, ":", "99,8%-grens")):
        onder, boven = funnel_grenzen(p / 100, n, z)
        ax.plot(n, boven, color="black", linestyle=stijl, linewidth=1, label=label)
        ax.plot(n, onder, color="black", linestyle=stijl, linewidth=1)
    zichtbaar = t[t.hermelding_pct.notna()]
    ax.plot(zichtbaar.meldingen.astype(float), zichtbaar.hermelding_pct.astype(float), "o", color="black",
            markerfacecolor="white", markersize=6, label="gemeente")
    # labels alternate above and below their point so that neighbours of the same size do not overlap
    for i, rij in enumerate(zichtbaar.sort_values(["meldingen", "hermelding_pct"]).itertuples()):
        ax.annotate(rij.regionaam, (float(rij.meldingen), float(rij.hermelding_pct)),
                    xytext=(5, 4 if i % 2 == 0 else -10), textcoords="offset points", fontsize=7)
    ax.set_xlabel(f"Aantal meldingen in {periode_naam(data.kwartaal)} (afgerond op 5)")
    ax.set_ylabel("Hermelding (% van de meldingen)")
    ax.set_xlim(0, n_max)
    ax.set_ylim(0, 100)
    _style(ax)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    return _png(fig)


def chart_cohort(data: ReportData, definitie_id: str) -> str:
    """The region's monthly curve (herhaling_curve_maand_openbaar) of the latest half-year cohorts, each up to the
    last month the whole cohort has been followed; markers every six months tell the lines apart in grey."""
    regio = data.curven[data.curven.definitie_id == definitie_id]
    cohorten = sorted(regio.cohort_periode.unique())[-COHORTEN_IN_GRAFIEK:]
    fig = _figure(8, 3.6)
    ax = fig.add_subplot()
    hoogste = data.cohorten[data.cohorten.definitie_id == definitie_id].horizon_maanden.max()
    hoogste_horizon = 24 if pd.isna(hoogste) else int(hoogste)  # no cohort yet (a quarter early in the data)
    for i, cohort in enumerate(cohorten):
        c = regio[regio.cohort_periode == cohort].sort_values("maand")
        x = [0, *c.maand.astype(int)]
        y = [0.0, *c.cumulatief_pct.astype(float)]
        marker, lijn = STIJLEN[i % len(STIJLEN)]
        ax.step(x, y, where="post", color="black", linestyle=lijn, linewidth=1.2)
        merk = [(a, b) for a, b in zip(x[1:], y[1:], strict=True) if a % 6 == 0]
        ax.plot([a for a, _ in merk], [b for _, b in merk], marker, color="black",
                markerfacecolor="white" if i % 2 else "black", linestyle="none")
        ax.plot([], [], color="black", linestyle=lijn, marker=marker,
                markerfacecolor="white" if i % 2 else "black", label=f"cohort {periode_naam(cohort)}")
    ax.set_xlim(0, hoogste_horizon + 1)
    ax.set_ylim(bottom=0)
    begin = "afsluiting casus" if definitie_id != "recidive_pleger" else d3_cohort(data.recidive_pleger_start)[1]
    ax.set_xlabel(f"Maanden sinds het begin ({begin})")
    ax.set_ylabel("Cumulatief % met gebeurtenis")
    _style(ax)
    if cohorten:
        ax.legend(loc="upper left", fontsize=8, frameon=False)
    else:
        ax.text(0.5, 0.5, "Geen cohort met volledige follow-up en publiceerbare cijfers", transform=ax.transAxes,
                ha="center")
    return _png(fig)


def chart_intergeneratie(data: ReportData) -> str:
    regio = data.intergeneratie[data.intergeneratie.regiotype == "vt_regio"].reset_index(drop=True)
    fig = _figure(8, 3.2)
    ax = fig.add_subplot()
    x = list(range(len(regio)))
    pct = regio.eerder_als_minderjarige_pct.astype(float).to_numpy()
    fout = [pct - regio.eerder_als_minderjarige_pct_ci_onder.astype(float).to_numpy(),
            regio.eerder_als_minderjarige_pct_ci_boven.astype(float).to_numpy() - pct]
    ax.errorbar(x, pct, yerr=fout, color="black", marker="s", markersize=4, linewidth=1, capsize=2,
                label=data.regionaam)
    ax.set_xticks(x, [kort(p) for p in regio.periode], rotation=45, fontsize=7)
    ax.set_xlabel("Halfjaar (ontbrekend punt: onderdrukt)")
    ax.set_ylabel("Eerder als minderjarige (%)")
    ax.set_ylim(bottom=0)
    _style(ax)
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _p: getal(y, 1)))
    return _png(fig)


# --- HTML ------------------------------------------------------------------------------------------

CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #111; max-width: 60em; margin: 2em auto; padding: 0 1em;
       line-height: 1.45; font-size: 11pt; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #111; padding-bottom: 0.15em;
     margin-top: 2em; } h3 { margin-top: 1.4em; }
.ondertitel { color: #444; margin-top: 0; }
.melding { border: 2px solid #111; padding: 0.6em 0.9em; margin: 1em 0; }
.melding.waarschuwing { border-style: dashed; background: #f2f2f2; }
.kop { display: flex; flex-wrap: wrap; gap: 1em; margin: 1em 0; }
.kop div { border: 1px solid #555; padding: 0.6em 0.9em; flex: 1 1 10em; }
.kop .getal { font-size: 2em; font-weight: bold; display: block; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 9.5pt; }
th, td { border-bottom: 1px solid #bbb; padding: 0.2em 0.5em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid #111; vertical-align: bottom; }
tr.regio td { font-weight: bold; }
img { max-width: 100%; height: auto; display: block; margin: 0.5em 0; }
figure { margin: 1em 0; page-break-inside: avoid; break-inside: avoid; }
figcaption { font-size: 9.5pt; color: #333; }
.klein { font-size: 9pt; color: #333; }
dt { font-weight: bold; margin-top: 0.6em; }
@media print { body { margin: 0; max-width: none; font-size: 10pt; } h2 { page-break-after: avoid; }
  section { page-break-inside: auto; } table, figure { page-break-inside: avoid; } a { color: #111; } }
@page { size: A4; margin: 15mm; }
"""

# Marks on <body> how many charts loaded (complete and with a width): the automated check and anyone
# opening the file can see that nothing is missing. Nothing is fetched.
SCRIPT = """
window.addEventListener('load', function () {
  var beelden = Array.prototype.slice.call(document.images);
  var geladen = beelden.filter(function (b) { return b.complete && b.naturalWidth > 0; }).length;
  document.body.setAttribute('data-grafieken', geladen + '/' + beelden.length);
});
"""


def _e(tekst) -> str:
    return html.escape(str(tekst))


def _html_table(kop: list[str], rijen: list[list], regio_rijen: set[int] | None = None) -> str:
    regio_rijen = regio_rijen or set()
    delen = ["<table><thead><tr>", *(f"<th>{_e(k)}</th>" for k in kop), "</tr></thead><tbody>"]
    for i, rij in enumerate(rijen):
        klasse = ' class="regio"' if i in regio_rijen else ""
        delen.append(f"<tr{klasse}>"
                     + "".join(f"<td>{_e(c)}</td>" for c in rij) + "</tr>")
    delen.append("</tbody></table>")
    return "".join(delen)


def _figuur(png: str, alt: str, bijschrift: str) -> str:
    return (f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{png}">'
            f"<figcaption>{bijschrift}</figcaption></figure>")


def _lookback_tekst(lookback: int | None) -> str:
    return "onbeperkte terugkijkperiode" if not lookback else f"{lookback} maanden"


def render_html(data: ReportData, grafieken: dict[str, str]) -> str:
    r, k = data.release, data.kop
    gepubliceerd = datetime.fromisoformat(r.tijd).astimezone(UTC).strftime("%d-%m-%Y %H:%M UTC") if r.tijd else "?"
    if data.bevroren:
        herkomst = (f'<div class="melding">Deze cijfers komen uit release <b>{_e(r.release_id)}</b> (gepubliceerd '
                    f"{gepubliceerd}), de release die is <b>bevroren</b> als de officiële cijfers voor "
                    f"{_e(data.kwartaal)}. Ze veranderen niet meer.</div>")
    else:
        herkomst = (f'<div class="melding waarschuwing"><b>Let op:</b> voor {_e(data.kwartaal)} is (nog) geen release '
                    f"bevroren. Deze rapportage gebruikt de <b>actuele</b> release <b>{_e(r.release_id)}</b> "
                    f"(gepubliceerd {gepubliceerd}); de cijfers kunnen nog veranderen als er leveringen bijkomen of "
                    "worden gecorrigeerd. Bevries de release met <code>hermelding publiceer --bevries "
                    f"{_e(data.kwartaal)}</code> voor officiële cijfers.</div>")
    verschil = ONDERDRUKT if k["verschil"] is None else f"{'+' if k['verschil'] >= 0 else '−'}{getal(abs(k['verschil']), 1)}"
    if k["verschil"] is None:
        oordeel = "niet te berekenen (een van beide cijfers is onderdrukt of ontbreekt)"
    elif k["verschil_significant"]:
        oordeel = "groter dan toeval waarschijnlijk maakt (95%)"
    else:
        oordeel = "binnen wat toeval kan verklaren (95%)"
    terugkijk_noot = "" if k["volledige_terugkijk"] else (
        '<p class="melding waarschuwing">Voor dit kwartaal is de terugkijkperiode nog niet volledig: de gegevens '
        f"beginnen op {data.gegevens_begin:%d-%m-%Y}, dus het hermeldingspercentage is te laag (zie "
        "‘Volledigheid van de gegevens’).</p>")
    kop_html = f"""
<div class="kop">
 <div><span class="getal">{_pct(k['pct'])}</span>hermelding in {_e(periode_naam(data.kwartaal))}
   <br><span class="klein">95%-interval {interval(k['ci_onder'], k['ci_boven'])}</span></div>
 <div><span class="getal">{verschil}</span>procentpunt t.o.v. {_e(periode_naam(k['vorig_kwartaal']))}
   ({_pct(k['vorig_pct'])})<br><span class="klein">verschil {oordeel}</span></div>
 <div><span class="getal">{getal(k['meldingen'])}</span>meldingen ontvangen
   <br><span class="klein">waarvan {getal(k['hermelding'])} hermeldingen (afgerond op 5)</span></div>
</div>{terugkijk_noot}"""

    # eight quarters: region and municipalities
    trend = data.trend
    kwartalen = sorted(trend.periode.unique())
    breed = trend.pivot_table(index=["regiotype", "regionaam"], columns="periode", values="hermelding_pct",
                              aggfunc="first", dropna=False).reindex(columns=kwartalen)
    volgorde = [("vt_regio", data.regionaam)] + [("gemeente", n) for n in sorted(trend[trend.regiotype == "gemeente"].regionaam.unique())]
    breed = breed.reindex(volgorde)
    onvolledig = set(trend[~trend.volledige_terugkijk.astype(bool)].periode)
    koppen = ["Regio / gemeente"] + [kort(p) + (" †" if p in onvolledig else "") for p in kwartalen]
    rijen = [[naam] + [getal(breed.loc[(soort, naam), p], 1) for p in kwartalen] for soort, naam in volgorde]
    trend_tabel = _html_table(koppen, rijen, {0})

    t = data.trechter
    trechter_tabel = _html_table(
        ["Gemeente", "Meldingen", "Hermelding %", "95%-interval", "95%-grenzen regio", "99,8%-grenzen regio", "Oordeel"],
        [[rij.regionaam, getal(rij.meldingen), getal(rij.hermelding_pct, 1),
          interval(rij.hermelding_pct_ci_onder, rij.hermelding_pct_ci_boven),
          interval(rij.grens_95_onder, rij.grens_95_boven), interval(rij.grens_998_onder, rij.grens_998_boven),
          rij.oordeel] for rij in t.itertuples()])
    onderdrukt_gemeenten = t[t.hermelding_pct.isna()].regionaam.tolist()

    besluit_jaar = data.naast_elkaar.periode.iloc[0] if len(data.naast_elkaar) else None
    b = data.besluit[(data.besluit.regiotype == "vt_regio") & (data.besluit.cohort_periode == besluit_jaar)]
    besluit_horizons = sorted(b.horizon_maanden.unique())
    besluit_tabel = _html_table(
        ["Besluit", "Afgesloten casussen"] + [f"Binnen {int(h)} maanden opnieuw gemeld (%)" for h in besluit_horizons]
        + [f"95%-interval ({int(h)} mnd)" for h in besluit_horizons[-1:]],
        [[naam, getal(groep.cohort_omvang.iloc[0])]
         + [getal(groep[groep.horizon_maanden == h].pct.iloc[0], 1) for h in besluit_horizons]
         + [interval(groep[groep.horizon_maanden == h].ci_onder.iloc[0], groep[groep.horizon_maanden == h].ci_boven.iloc[0])
            for h in besluit_horizons[-1:]]
         for naam, groep in b.groupby("besluit_naam", sort=False)]) if len(b) else f"<p>{_e(NOG_GEEN_JAAR)}</p>"
    if len(data.naast_elkaar):
        naast_tekst = f"""<p>Landelijk circuleren ‘recidivecijfers’ van 50 tot 70%, omdat registraties en definities
verschillen. Hieronder dezelfde regio en hetzelfde jaar ({_e(periode_naam(besluit_jaar))}: het laatste jaar waarvan
de afgesloten casussen de langste horizon hebben doorlopen), met elke definitie in één zin. Het verschil zit in wat
je telt (meldingen of afgesloten casussen), hoe ver je terugkijkt of vooruit volgt, en of een lopende casus
meetelt.</p>
{_html_table(["Definitie", "Wat telt", "Percentage", "95%-interval", "Toelichting"],
             [[r.regel, r.definitie, getal(r.pct, 1), interval(r.ci_onder, r.ci_boven), r.toelichting]
              for r in data.naast_elkaar.itertuples()])}"""
    else:
        naast_tekst = f"<p>{_e(NOG_GEEN_JAAR)}</p>"

    def cohort_tabel(definitie_id: str) -> str:
        c = data.cohorten[(data.cohorten.definitie_id == definitie_id) & (data.cohorten.regiotype == "vt_regio")]
        if c.empty:
            return (f"<p>Nog geen cijfers: een cohort telt mee zodra het halfjaar voorbij is, en tot en met "
                    f"{_e(periode_naam(data.kwartaal))} is er in deze release geen afgelopen halfjaar met casussen "
                    f"van deze regio (de gegevens beginnen in {data.gegevens_begin.year}).</p>")
        horizons = sorted(c.horizon_maanden.unique())
        rijen = []
        for cohort, groep in c.groupby("cohort_periode", sort=True):
            g = groep.set_index("horizon_maanden")
            cellen = []
            for h in horizons:
                waarde = getal(g.cumulatief_pct.get(h), 1)
                if h in g.index and not bool(g.volledige_followup.get(h)) and waarde != ONDERDRUKT:
                    waarde += " *"
                elif waarde != ONDERDRUKT:  # with its 95% interval, as in the Excel sheet
                    waarde += f" ({interval(g.cumulatief_pct_ci_onder.get(h), g.cumulatief_pct_ci_boven.get(h))})"
                cellen.append(waarde)
            rijen.append([periode_naam(cohort), getal(g.cohort_omvang.iloc[0]), *cellen])
        return _html_table(["Cohort", "Omvang", *[f"{h} mnd: % (95%-interval)" for h in horizons]], rijen[-8:])

    ig = data.intergeneratie[data.intergeneratie.regiotype == "vt_regio"]
    ig_tabel = _html_table(["Halfjaar", "Volwassen slachtoffers en plegers", "Eerder als minderjarige", "%", "95%-interval"],
                      [[periode_naam(rij.periode), getal(rij.volwassen_personen), getal(rij.eerder_als_minderjarige),
                        getal(rij.eerder_als_minderjarige_pct, 1),
                        interval(rij.eerder_als_minderjarige_pct_ci_onder, rij.eerder_als_minderjarige_pct_ci_boven)]
                       for rij in ig.itertuples()])

    definities = "".join(
        f"<dt>{_e(rij.naam)} <span class='klein'>({_e(rij.definitie_id)}, versie {_e(rij.versie)}; "
        f"{_e(rij.parameters)} = {_e(rij.parameterwaarden)})</span></dt>"
        f"<dd><p>{_e(uitleg(rij.definitie_id, data))}</p>"
        f"<p class='klein'>Formele omschrijving: {_e(rij.omschrijving)}</p></dd>"
        for rij in data.definities.itertuples())

    lev = data.leveringen
    leveringen_tabel = _html_table(["Periode", "Levering", "Rijen in quarantaine (%)"],
                              [[rij.periode, rij.levering_id, getal(rij.quarantaine_pct, 1)] for rij in lev.itertuples()])
    quarantaine = pd.to_numeric(lev.quarantaine_pct, errors="coerce").max()
    onvolledige_kwartalen = ", ".join(kort(p) for p in sorted(onvolledig)) or "geen"
    onderdrukt_tabel = _html_table(["Tabel", "Reden", "Cellen"],
                              [[rij.tabel, rij.reden, getal(rij.cellen)] for rij in data.onderdrukking.itertuples()])
    vlaggen = "".join(f"<li><b>{_e(v)}</b>: {_e(t)}</li>" for v, t in VLAGGEN.items())
    if data.lookback_maanden:
        volledig_vanaf = _plus_maanden(data.gegevens_begin, data.lookback_maanden)
        terugkijk = (f"Een melding is een hermelding als een betrokkene bekend is uit de {data.lookback_maanden} maanden "
                     f"ervoor. De gegevens beginnen op {data.gegevens_begin:%d-%m-%Y}; voor meldingen vóór "
                     f"{volledig_vanaf:%d-%m-%Y} kan dus niet de volle {data.lookback_maanden} maanden worden "
                     "teruggekeken en is het percentage te laag. Die perioden zijn gemarkeerd met † en in de grafiek "
                     f"met een open rondje. In deze rapportage: {onvolledige_kwartalen}.")
    else:
        terugkijk = (f"Deze release gebruikt een onbeperkte terugkijkperiode; hoe ver werkelijk kan worden "
                     f"teruggekeken, hangt af van het begin van de gegevens ({data.gegevens_begin:%d-%m-%Y}). Alle "
                     "perioden zijn daarom gemarkeerd met †.")
    d2 = data.definities.set_index("definitie_id")
    d2_horizons = d2.parameterwaarden.get("herhaalde_melding", "")
    d3_horizons = d2.parameterwaarden.get("recidive_pleger", "")

    return f"""<!DOCTYPE html>
<html lang="nl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hermelding {_e(data.regionaam)} – {_e(periode_naam(data.kwartaal))}</title>
<style>{CSS}</style></head>
<body>
<header>
<h1>Hermelding en herhaling – {_e(data.regionaam)}</h1>
<p class="ondertitel">Kwartaalrapportage {_e(periode_naam(data.kwartaal))} ({_e(data.kwartaal)}) ·
openbare cijfers · release {_e(r.release_id)} van {gepubliceerd}</p>
{herkomst}
</header>
<section><h2>Kerncijfers</h2>{kop_html}
<p>Het hermeldingspercentage is het deel van alle ontvangen meldingen waarbij ten minste één betrokkene al bekend
was uit een eerdere, afgesloten casus ({_e(_lookback_tekst(data.lookback_maanden))} terugkijken), zoals het CBS
het telt. Aantallen zijn afgerond op veelvouden van 5; percentages en intervallen zijn berekend uit de
gepubliceerde, afgeronde aantallen (zodat ze geen exacte aantallen prijsgeven) en kunnen daardoor iets afwijken van
een berekening op exacte aantallen.</p></section>

<section><h2>Hermelding over de laatste acht kwartalen</h2>
{_figuur(grafieken['trend'], 'Lijngrafiek hermeldingspercentage regio per kwartaal',
         f'Hermeldingspercentage van {_e(data.regionaam)} per kwartaal met 95%-interval (grijs). Open rondje: '
         'terugkijkperiode onvolledig, percentage te laag.')}
{_figuur(grafieken['gemeenten'], 'Kleine grafieken per gemeente',
         'Hermeldingspercentage per gemeente (zwart, met 95%-interval) tegen de regio (stippellijn). '
         'Een ontbrekend punt is onderdrukt.')}
<p class="klein">Hermelding % per kwartaal. † = terugkijkperiode onvolledig. “.” = onderdrukt.</p>
{trend_tabel}</section>

<section><h2>Welke gemeente wijkt echt af? (trechterdiagram)</h2>
<p>Een kleine gemeente heeft van nature grotere schommelingen dan een grote. Het trechterdiagram zet daarom het
percentage van elke gemeente uit tegen het aantal meldingen, met de grenzen waarbinnen het percentage door toeval
rond het regiogemiddelde kan liggen: 95% (gestreept) en 99,8% (gestippeld). Een gemeente buiten de 99,8%-grens wijkt
vrijwel zeker echt af; tussen 95% en 99,8% is het een signaal om te volgen, geen conclusie.</p>
{_figuur(grafieken['trechter'], 'Trechterdiagram gemeenten',
         f'Trechterdiagram {_e(periode_naam(data.kwartaal))}: hermelding % tegen aantal meldingen per gemeente, '
         'grenzen rond het regiopercentage (normale benadering).')}
{('<p class="klein">Niet in het diagram (percentage onderdrukt): ' + _e(', '.join(onderdrukt_gemeenten)) + '.</p>') if onderdrukt_gemeenten else ''}
{trechter_tabel}</section>

<section><h2>Herhaling na afsluiting (D2) en recidive van plegers (D3)</h2>
<p>Deze cijfers volgen groepen (cohorten) door de tijd: de casussen die in een halfjaar zijn afgesloten (D2) en de
{_e(d3_cohort(data.recidive_pleger_start, 'een halfjaar')[0])} (D3). De lijn geeft het cumulatieve percentage dat
opnieuw gemeld is, per maand sinds het begin (de openbare maandcurve, met dezelfde afronding en onderdrukking
als elke openbare tabel). Een lijn loopt tot de laatste maand die het hele cohort al heeft kunnen doorlopen en
waarin nog genoeg casussen of personen gevolgd worden; een recent cohort heeft daardoor een korte lijn. De tabel
eronder geeft de horizons {_e(d2_horizons)} (D2) en {_e(d3_horizons)} maanden (D3) met hun interval.</p>
<h3>D2 – herhaalde melding na afsluiting</h3>
{_figuur(grafieken['d2'], 'Cohortcurves herhaalde melding', 'Cumulatief % casussen met een nieuwe melding, per cohort (regio).')}
{cohort_tabel('herhaalde_melding')}
<h3>D3 – recidive pleger</h3>
{_figuur(grafieken['d3'], 'Cohortcurves recidive pleger', 'Cumulatief % plegers opnieuw als pleger gemeld, per cohort (regio).')}
{cohort_tabel('recidive_pleger')}
<p class="klein">* = nog niet het hele cohort heeft deze horizon doorlopen (schatting met censurering, kan nog
veranderen). “.” = onderdrukt.</p></section>

<section><h2>Waarom de cijfers verschillen: de definities naast elkaar</h2>
{naast_tekst}</section>

<section><h2>Herhaling na afsluiting (D2) naar besluit van Veilig Thuis</h2>
<p>Komen gezinnen terug omdat de hulp niet paste, te laat kwam of er niet was? Deze tabel zet het percentage
afgesloten casussen met een nieuwe melding naast wat Veilig Thuis in de casus besloot
{f'(jaarcohort {_e(periode_naam(besluit_jaar))}, regio)' if besluit_jaar else '(regio)'}. {BESLUIT_ZIN}</p>
{besluit_tabel}
<p class="klein">Percentages alleen waar de hele groep de horizon heeft doorlopen en genoeg casussen overblijven;
“.” = onderdrukt of niet openbaar. Per gemeente en voor alle jaren: het Excel-blad ‘D2 naar besluit’.</p></section>

<section><h2>Intergenerationeel (D4)</h2>
{_figuur(grafieken['d4'], 'Intergenerationeel per halfjaar',
         'Aandeel volwassen slachtoffers en plegers dat eerder als minderjarige in een melding voorkwam, met 95%-interval.')}
<p>Omdat de gegevens pas in {data.gegevens_begin.year} beginnen, kan ‘eerder als minderjarige’ alleen in die jaren
gevonden worden: de stijging in de eerste jaren komt vooral doordat de geschiedenis langer wordt, niet doordat
het verschijnsel toeneemt.</p>
{ig_tabel}
<h3>D4(b) – jongeren van 12-17 jaar later als volwassene gemeld</h3>
{cohort_tabel('intergenerationeel')}</section>

<section><h2>Wat de definities betekenen</h2><dl>{definities}</dl></section>

<section><h2>Lege cellen (“.”) en afronding</h2>
<p>Om te voorkomen dat iemand in de cijfers herkenbaar is, zijn alle aantallen afgerond op veelvouden van 5 en
worden kleine aantallen niet getoond. Een punt “.” betekent, zoals in CBS-tabellen: dit cijfer wordt niet
gepubliceerd. De reden staat in de openbare tabellen in de kolom *_vlag:</p><ul>{vlaggen}</ul>
<p>Een punt betekent dus <em>niet</em> dat het aantal nul is. Percentages die op een onderdrukt aantal steunen,
zijn ook onderdrukt. Onderdrukte aantallen in de tabellen van deze rapportage (regio en gemeenten):</p>
{onderdrukt_tabel}</section>

<section><h2>Volledigheid van de gegevens</h2>
<p><b>Geleverde perioden.</b> De release is gebouwd uit {len(lev)} leveringen van {_e(data.regiocode)}
({_e(', '.join(map(str, lev.periode.head(1))))} t/m {_e(', '.join(map(str, lev.periode.tail(1))))}). Per levering
stond hoogstens {getal(quarantaine, 1)}% van de rijen in quarantaine (rijen die een regel van het exportcontract
schonden; ze tellen niet mee en worden met de leverancier opgelost). Exacte aantallen rijen zijn niet openbaar:
ze zouden de precieze totalen van de regio verraden.</p>
<p><b>Terugkijkperiode.</b> {_e(terugkijk)}</p>
<p><b>Follow-up.</b> Cohorten van de laatste periodes zijn nog niet de hele horizon gevolgd; hun cijfers zijn
gemarkeerd met * en kunnen nog stijgen.</p>
{leveringen_tabel}</section>

<footer class="klein"><hr>
Release {_e(r.release_id)} · gepubliceerd {gepubliceerd} · code {_e((r.info.get('git_commit') or '?')[:12])} ·
rapport gemaakt {datetime.now(UTC):%d-%m-%Y %H:%M} UTC met <code>hermelding rapport --kwartaal {_e(data.kwartaal)}</code>.
Bron: alleen de openbare (openbaar) tabellen van de release.
</footer>
<script>{SCRIPT}</script>
</body></html>
"""


# --- Excel -----------------------------------------------------------------------------------------

def _sheet(wb, titel: str, koppen: list[str], rijen: list[list], formaten: dict[int, str] | None = None,
           toelichting: str | None = None) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(titel[:31])
    start = 1
    if toelichting:
        ws.cell(1, 1, toelichting).font = Font(italic=True)
        start = 3
    for j, kop in enumerate(koppen, 1):
        cel = ws.cell(start, j, kop)
        cel.font = Font(bold=True)
        cel.alignment = Alignment(wrap_text=True, vertical="bottom")
    formaten = formaten or {}
    for i, rij in enumerate(rijen, start + 1):
        for j, waarde in enumerate(rij, 1):
            if waarde is None or (not isinstance(waarde, str) and pd.isna(waarde)):
                waarde = ONDERDRUKT
            elif hasattr(waarde, "item"):
                waarde = waarde.item()  # numpy scalar -> Python number
            cel = ws.cell(i, j, waarde)
            if waarde == ONDERDRUKT:
                cel.alignment = Alignment(horizontal="right")
            elif j - 1 in formaten:
                cel.number_format = formaten[j - 1]
            elif isinstance(waarde, bool) or not isinstance(waarde, int | float):
                if isinstance(waarde, str) and len(waarde) > 60:
                    cel.alignment = Alignment(wrap_text=True, vertical="top")
            else:
                cel.number_format = "#,##0" if isinstance(waarde, int) else "0.0"
    for j, kop in enumerate(koppen, 1):
        langste = max([len(kop) + 2] + [len(str(r[j - 1])) for r in rijen if j - 1 < len(r)])
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(70, langste))
    ws.freeze_panes = ws.cell(start + 1, 1)
    if rijen:
        ws.auto_filter.ref = f"A{start}:{get_column_letter(len(koppen))}{start + len(rijen)}"


def _janee(waarde) -> str:
    return "ja" if bool(waarde) else "nee"


def write_excel(data: ReportData, pad: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    k = data.kop
    GETAL, PCT = "#,##0", "0.0"
    _sheet(wb, "Samenvatting", ["Onderwerp", "Waarde"], [
        ["Regio", data.regionaam], ["Regiocode", data.regiocode], ["Kwartaal", data.kwartaal],
        ["Meldingen (afgerond op 5)", k["meldingen"]], ["Hermeldingen (afgerond op 5)", k["hermelding"]],
        ["Hermelding %", k["pct"]], ["95%-interval ondergrens", k["ci_onder"]], ["95%-interval bovengrens", k["ci_boven"]],
        [f"Hermelding % {k['vorig_kwartaal']}", k["vorig_pct"]],
        ["Verschil (procentpunt)", None if k["verschil"] is None else round(float(k["verschil"]), 1)],
        ["Verschil groter dan toeval (95%)", ONDERDRUKT if k["verschil_significant"] is None else _janee(k["verschil_significant"])],
        ["Volledige terugkijkperiode", _janee(k["volledige_terugkijk"])],
        ["Release", data.release.release_id], ["Release gepubliceerd (UTC)", data.release.tijd],
        ["Release bevroren voor dit kwartaal", _janee(data.bevroren)],
    ])
    t = data.trend
    _sheet(wb, "D1 Hermelding", ["Soort", "Regiocode", "Regio / gemeente", "Kwartaal", "Meldingen", "Hermeldingen",
                                 "Hermelding %", "95%-interval ondergrens", "95%-interval bovengrens",
                                 "Volledige terugkijkperiode", "Reden onderdrukking"],
           [[r.regiotype, r.regiocode, r.regionaam, r.periode, r.meldingen, r.hermelding, r.hermelding_pct,
             r.hermelding_pct_ci_onder, r.hermelding_pct_ci_boven, _janee(r.volledige_terugkijk),
             r.hermelding_pct_vlag or ""] for r in t.itertuples()],
           {4: GETAL, 5: GETAL, 6: PCT, 7: PCT, 8: PCT})
    f = data.trechter
    _sheet(wb, "D1 Trechter", ["Gemeente", "Gemeentecode", "Meldingen", "Hermelding %", "95%-grens onder",
                               "95%-grens boven", "99,8%-grens onder", "99,8%-grens boven", "Oordeel"],
           [[r.regionaam, r.regiocode, r.meldingen, r.hermelding_pct, *(round(float(g), 1) for g in (
               r.grens_95_onder, r.grens_95_boven, r.grens_998_onder, r.grens_998_boven)), r.oordeel]
            for r in f.itertuples()],
           {2: GETAL, 3: PCT, 4: PCT, 5: PCT, 6: PCT, 7: PCT},
           f"Grenzen rond het regiopercentage {getal(k['pct'], 1)}% in {data.kwartaal} (normale benadering).")
    n = data.naast_elkaar
    _sheet(wb, "Definities naast elkaar", ["Definitie", "Wat telt", "Periode", "Percentage", "95%-interval ondergrens",
                                           "95%-interval bovengrens", "Toelichting"],
           [[r.regel, r.definitie, r.periode, r.pct, r.ci_onder, r.ci_boven, r.toelichting] for r in n.itertuples()],
           {3: PCT, 4: PCT, 5: PCT},
           f"Dezelfde regio en hetzelfde jaar ({n.periode.iloc[0]}), elke definitie in één zin; "
           "“.” = niet gepubliceerd (zie toelichting)." if len(n) else NOG_GEEN_JAAR)
    b = data.besluit
    _sheet(wb, "D2 naar besluit", ["Soort", "Regiocode", "Regio / gemeente", "Cohort (jaar)", "Horizon (maanden)",
                                   "Besluit", "Afgesloten casussen", "Opnieuw gemeld", "Opnieuw gemeld %",
                                   "95%-interval ondergrens", "95%-interval bovengrens", "Volledige follow-up"],
           [[r.regiotype, r.regiocode, r.regionaam, r.cohort_periode, r.horizon_maanden, r.besluit_naam,
             r.cohort_omvang, r.aantal_gebeurtenissen, r.pct, r.ci_onder, r.ci_boven, _janee(r.volledige_followup)]
            for r in b.itertuples()],
           {4: GETAL, 6: GETAL, 7: GETAL, 8: PCT, 9: PCT, 10: PCT},
           "Herhaalde melding (D2) naar besluit in de afgesloten casus. " + BESLUIT_ZIN + " “.” = onderdrukt.")
    for definitie_id, titel in (("herhaalde_melding", "D2 Herhaalde melding"), ("recidive_pleger", "D3 Recidive pleger"),
                                ("intergenerationeel", "D4b Intergen. cohort")):
        c = data.cohorten[data.cohorten.definitie_id == definitie_id]
        koppen = ["Soort", "Regiocode", "Regio / gemeente", "Cohort (halfjaar)", "Horizon (maanden)", "Cohortomvang",
                  "Gebeurtenissen", "Cumulatief %", "95%-interval ondergrens", "95%-interval bovengrens",
                  "Volledige follow-up"]
        rijen = [[r.regiotype, r.regiocode, r.regionaam, r.cohort_periode, r.horizon_maanden, r.cohort_omvang,
                  r.aantal_gebeurtenissen, r.cumulatief_pct, r.cumulatief_pct_ci_onder, r.cumulatief_pct_ci_boven,
                  _janee(r.volledige_followup)] for r in c.itertuples()]
        if definitie_id == "recidive_pleger":
            koppen.append("Rol onbekend %")
            for rij, r in zip(rijen, c.itertuples(), strict=True):
                rij.append(r.rol_onbekend_pct)
        _sheet(wb, titel, koppen, rijen, {4: GETAL, 5: GETAL, 6: GETAL, 7: PCT, 8: PCT, 9: PCT, 11: PCT})
    ig = data.intergeneratie
    _sheet(wb, "D4a Intergenerationeel", ["Soort", "Regiocode", "Regio / gemeente", "Halfjaar", "Volwassen personen",
                                           "Eerder als minderjarige", "Eerder als minderjarige %",
                                           "95%-interval ondergrens", "95%-interval bovengrens",
                                           "Uitgesloten: geboortejaar onbekend"],
           [[r.regiotype, r.regiocode, r.regionaam, r.periode, r.volwassen_personen, r.eerder_als_minderjarige,
             r.eerder_als_minderjarige_pct, r.eerder_als_minderjarige_pct_ci_onder,
             r.eerder_als_minderjarige_pct_ci_boven, r.uitgesloten_onbekend_geboortejaar] for r in ig.itertuples()],
           {4: GETAL, 5: GETAL, 6: "0.00", 7: "0.00", 8: "0.00", 9: GETAL})
    _sheet(wb, "Definities", ["Definitie", "Naam", "Versie", "Parameter", "Waarde", "Uitleg", "Formele omschrijving"],
           [[r.definitie_id, r.naam, r.versie, r.parameters, r.parameterwaarden,
             uitleg(r.definitie_id, data), r.omschrijving]
            for r in data.definities.itertuples()]
           + [["“.”", "Onderdrukt", "", "", "", "Niet gepubliceerd: " + "; ".join(f"{v}: {t}" for v, t in VLAGGEN.items()), ""]])
    lev = data.leveringen
    _sheet(wb, "Datakwaliteit", ["Periode", "Levering", "Rijen in quarantaine (%)"],
           [[r.periode, r.levering_id, r.quarantaine_pct] for r in lev.itertuples()],
           {2: "0.0"},
           f"Gegevens vanaf {data.gegevens_begin:%d-%m-%Y}; terugkijkperiode hermelding: "
           f"{_lookback_tekst(data.lookback_maanden)}. Perioden zonder volledige terugkijkperiode staan in "
           "'D1 Hermelding' met 'nee'.")
    wb.move_sheet("D4a Intergenerationeel", offset=-1)  # D4a before D4b
    for ws in wb.worksheets:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.properties.title = f"Hermelding {data.regionaam} {data.kwartaal}"
    wb.properties.creator = "hermelding"
    tmp = pad.with_name(f".tmp-{pad.name}.{os.getpid()}")
    wb.save(tmp)
    os.replace(tmp, pad)


# --- the command -----------------------------------------------------------------------------------

def report_dir(config: Config, kwartaal: str) -> Path:
    return config.marts_dir / "rapporten" / kwartaal


def make_report(config: Config, kwartaal: str | None = None, regio: str | None = None,
                release_id: str | None = None) -> ReportResult:
    """Write the quarterly report (HTML and Excel) for a quarter; default the latest complete quarter."""
    from hermelding.publish import write_atomic

    try:
        gevraagd = normalise_kwartaal(kwartaal) if kwartaal else None
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    if gevraagd is None:
        # default: the latest complete quarter of the current (or named) release
        with open_release(release=release_id, root=config) as release:
            gevraagd = latest_complete_quarter(release, _regio(release, regio)[0])
    kies = {"release": release_id} if release_id else {"kwartaal": gevraagd}
    with open_release(root=config, **kies) as release:
        data = collect(release, gevraagd, regio, config.recidive_pleger_start)
        grafieken = {"trend": chart_trend(data), "gemeenten": chart_gemeenten(data), "trechter": chart_funnel(data),
                     "d2": chart_cohort(data, "herhaalde_melding"), "d3": chart_cohort(data, "recidive_pleger"),
                     "d4": chart_intergeneratie(data)}
        map_ = report_dir(config, data.kwartaal)
        map_.mkdir(parents=True, exist_ok=True)
        naam = f"hermelding_{data.regiocode}_{data.kwartaal}"
        html_pad, excel_pad = map_ / f"{naam}.html", map_ / f"{naam}.xlsx"
        write_atomic(html_pad, render_html(data, grafieken))
        write_excel(data, excel_pad)
        return ReportResult(data.kwartaal, data.regiocode, release.release_id, data.bevroren, html_pad, excel_pad)
