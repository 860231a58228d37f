"""Build the project's municipal reference data from the CBS files in `data/raw/referentie/cbs/`.

    python -m hermelding.reference_build [folder, default data/raw/referentie/cbs]

writes (and a test checks that the committed files equal what this produces):

- `dbt_project/seeds/gemeenten.csv`: every municipality code in use at any moment 2019–2025 (and the codes
  that disappeared in the mergers of 1 January 2019), with its validity, its Veilig Thuis region and its
  successor in the latest layout;
- `dbt_project/seeds/herindelingen.csv`: mergers and partial transfers 2019–2023;
- `dbt_project/seeds/vt_regios.csv`: the 25 Veilig Thuis regions in use, with their CBS codes and names;
- `data/raw/referentie/bevolking.csv`: inhabitants on 1 January per municipality and year (that year's layout).

Rules (docs/referentiedata.md):
- Veilig Thuis region: CBS publishes the municipality -> region mapping for 2024 only. Every code gets the
  region of its successor in the 2024 layout (through the mergers); 2025 has no mergers.
- Successor in the latest layout (`opvolger`): follow the mergers; where a dissolved municipality was split
  (Haaren 2021), the main successor is the one marked `samenvoeging/opheffing` (the others are partial
  transfers `gedeeltelijk`), and all its meldingen go there.
- Validity: `geldig_van` is the merger date for a code created by a merger, empty for a code that existed
  before 2019; `geldig_tot` is the day before the merger for a code that disappeared, empty while in use.

Source: CBS open data (CC BY 4.0, "Bron: CBS"); the merger table from the RvIG national municipality table
(BRP Landelijke Tabel 33, EUPL). This runs once when the reference data change, not in the nightly run.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "dbt_project" / "seeds"
BEVOLKING = REPO / "data" / "raw" / "referentie" / "bevolking.csv"
CBS_BRON = REPO / "data" / "raw" / "referentie" / "cbs"  # the CBS/RvIG source files, copied unchanged from shared/referentie
BRON_CBS = "Bron: CBS (open data, CC BY 4.0)"
HOOFDSOORT = "samenvoeging/opheffing"
# The yearly layouts start on 1 January 2019, after that day's mergers, so for those mergers the data do
# not say whether the successor is a new municipality or an existing one that absorbed its neighbours.
# CBS never reuses a code and numbers new municipalities upwards: the highest code issued before 2019 is
# GM1952 (Midden-Groningen, 2018). A successor above it is new (GM1954 Beekdaelen, ...); GM0014 Groningen,
# GM0394 Haarlemmermeer and GM0575 Noordwijk existed and absorbed others.
HOOGSTE_CODE_VOOR_2019 = 1952


def read_shared(folder: Path) -> dict[str, pd.DataFrame]:
    lees = {"dtype": str, "keep_default_na": False}
    return {
        "per_jaar": pd.read_csv(folder / "gemeenten_per_jaar.csv", **lees),
        "vt_2024": pd.read_csv(folder / "gemeente_veilig_thuis_regio_2024.csv", **lees),
        "bevolking": pd.read_csv(folder / "bevolking.csv", **lees),
        "herindelingen": pd.read_csv(folder / "herindelingen.csv", **lees),
    }


def main_successors(herindelingen: pd.DataFrame) -> pd.Series:
    """old code -> the code its meldingen go to at the merger (the main, non-partial successor)."""
    hoofd = herindelingen[herindelingen["type"] == HOOFDSOORT]
    dubbel = hoofd["oude_code"].duplicated(keep=False)
    if dubbel.any():
        raise ValueError(f"More than one main successor for {sorted(hoofd.loc[dubbel, 'oude_code'].unique())}")
    return hoofd.set_index("oude_code")["nieuwe_code"]


def latest_successor(codes: pd.Series, opvolger: pd.Series) -> pd.Series:
    """Follow the mergers to the latest layout (a chain has at most as many steps as there are mergers)."""
    huidig = codes.copy()
    for _ in range(len(opvolger) + 1):
        volgende = huidig.map(opvolger).fillna(huidig)
        if volgende.equals(huidig):
            return huidig
        huidig = volgende
    raise ValueError("The merger table has a cycle")


def build(shared: Path) -> dict[str, pd.DataFrame]:
    bron = read_shared(shared)
    per_jaar, vt, her = bron["per_jaar"], bron["vt_2024"], bron["herindelingen"]
    opvolger = main_successors(her)

    # every code: those in a yearly layout, and those that disappeared at a merger
    laatst = per_jaar.sort_values("jaar").drop_duplicates("gemeentecode", keep="last")
    oud = her.drop_duplicates("oude_code").rename(columns={"oude_code": "gemeentecode", "oude_naam": "gemeentenaam"})
    oud = oud[~oud["gemeentecode"].isin(laatst["gemeentecode"])]
    gemeenten = pd.concat([laatst[["gemeentecode", "gemeentenaam", "provinciecode"]],
                           oud[["gemeentecode", "gemeentenaam"]].assign(provinciecode="")], ignore_index=True)
    gemeenten["opvolger"] = latest_successor(gemeenten["gemeentecode"], opvolger)
    regio = vt.set_index("gemeentecode")[["vt_code", "vt_naam"]]
    onbekend = sorted(set(gemeenten["opvolger"]) - set(regio.index))
    if onbekend:
        raise ValueError(f"No Veilig Thuis region in 2024 for {onbekend}")
    gemeenten["vt_regio"] = gemeenten["opvolger"].map(regio["vt_code"])
    gemeenten["vt_regionaam"] = gemeenten["opvolger"].map(regio["vt_naam"])
    # a dissolved code's province: that of its successor
    provincie = gemeenten.set_index("gemeentecode")["provinciecode"]
    gemeenten["provincie"] = gemeenten["provinciecode"].where(gemeenten["provinciecode"] != "",
                                                              gemeenten["opvolger"].map(provincie))
    # created by a merger: the successor did not exist the year before (for 2019: see HOOGSTE_CODE_VOOR_2019)
    hoofd = her[her["type"] == HOOFDSOORT].copy()
    hoofd["jaar_ervoor"] = (hoofd["datum"].str[:4].astype(int) - 1).astype(str)
    bestaand = set(zip(per_jaar["jaar"], per_jaar["gemeentecode"], strict=True))
    eerste_jaar = int(per_jaar["jaar"].min())
    hoofd["nieuw"] = [
        int(code[2:]) > HOOGSTE_CODE_VOOR_2019 if int(jaar) < eerste_jaar else (jaar, code) not in bestaand
        for jaar, code in zip(hoofd["jaar_ervoor"], hoofd["nieuwe_code"], strict=True)]  # 56 reference rows
    ontstaan = hoofd[hoofd["nieuw"]].groupby("nieuwe_code")["datum"].min()
    gemeenten["geldig_van"] = gemeenten["gemeentecode"].map(ontstaan).fillna("")
    opgeheven = her[her["type"] == HOOFDSOORT].groupby("oude_code")["datum"].min()
    gemeenten["geldig_tot"] = gemeenten["gemeentecode"].map(
        lambda code: (date.fromisoformat(opgeheven[code]) - timedelta(days=1)).isoformat() if code in opgeheven else "")
    gemeenten = gemeenten.sort_values("gemeentecode", ignore_index=True)[
        ["gemeentecode", "gemeentenaam", "vt_regio", "vt_regionaam", "provincie", "geldig_van", "geldig_tot", "opvolger"]]

    regios = vt.drop_duplicates("vt_code").rename(columns={"vt_code": "vt_regio", "vt_naam": "vt_regionaam"})
    regios = regios.sort_values("vt_regio", ignore_index=True)[["vt_regio", "vt_regionaam"]]
    herindelingen = her[["datum", "oude_code", "oude_naam", "nieuwe_code", "nieuwe_naam", "type"]].sort_values(
        ["datum", "nieuwe_code", "oude_code"], ignore_index=True)
    bevolking = bron["bevolking"].assign(bron=BRON_CBS).sort_values(["jaar", "gemeentecode"], ignore_index=True)
    return {"gemeenten": gemeenten, "herindelingen": herindelingen, "vt_regios": regios, "bevolking": bevolking}


def targets() -> dict[str, Path]:
    return {"gemeenten": SEEDS / "gemeenten.csv", "herindelingen": SEEDS / "herindelingen.csv",
            "vt_regios": SEEDS / "vt_regios.csv", "bevolking": BEVOLKING}


def write(frames: dict[str, pd.DataFrame]) -> None:
    for naam, pad in targets().items():
        frames[naam].to_csv(pad, index=False, lineterminator="\n")


if __name__ == "__main__":
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and sys.argv[1] in ("-h", "--help")):
        raise SystemExit("usage: python -m hermelding.reference_build [folder with the CBS files, default "
                         f"{CBS_BRON.relative_to(REPO)}]")
    write(build(Path(sys.argv[1]) if len(sys.argv) == 2 else CBS_BRON))
    print("Wrote " + ", ".join(str(p.relative_to(REPO)) for p in targets().values()))
