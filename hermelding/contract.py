"""The Veilig Thuis export contract as data: file kinds, required columns, rule codes.

`docs/export-contract.md` is the readable version; a test keeps the two in step. The row rules are
implemented set-based in `hermelding/ingest_sql.py`; the codes here are what lands in the quarantine table.
"""

from __future__ import annotations

import re

# A delivery folder: <regio>_<periode>, or <regio>_<periode>_historie for a history delivery (older meldingen
# and casussen that only fill the look-back: no figures are published for its periods; docs/methode.md), regio VT01..VT27, periode a CBS period code.
# `\Z`, not `$`: `$` also matches before a trailing newline, and `VT02_2024HJ01\n` is not a delivery.
LEVERING_RE = re.compile(r"^(?P<regio>VT(0[1-9]|1[0-9]|2[0-7]))_(?P<periode>\d{4}(JJ00|HJ0[12]|KW0[1-4]|MM(0[1-9]|1[0-2])))(?P<historie>_historie)?\Z")

# file kind -> required columns, in contract order
KOLOMMEN: dict[str, tuple[str, ...]] = {
    "casussen": ("casus_id", "datum_start", "datum_veiligheidsbeoordeling", "datum_start_monitoring",
                 "datum_afsluiting", "besluit"),
    "meldingen": ("melding_id", "casus_id", "datum_melding", "gemeentecode", "aard_geweld", "melder"),
    "betrokkenen": ("melding_id", "persoon_id", "rol", "geslacht", "geboortejaar"),
}
# load order: a melding needs its casus, a betrokkene its melding
BESTANDSSOORTEN = tuple(KOLOMMEN)
EXTENSIES = (".csv", ".parquet")
DATUMFORMATEN = ("%Y-%m-%d", "%Y%m%d", "%d-%m-%Y")
# The longest value a field may hold (characters). Contract fields are ids, dates and codes; a longer
# value is a quoting accident or free text, which may identify someone and is refused, not stored.
MAX_VELDLENGTE = 1000

# Column names that betray a direct identifier. A name is compared after normalisation (lower case,
# every run of characters other than a-z and 0-9 removed, so `geboorte_datum`, `Post code` and
# `burger-service-nummer` become `geboortedatum`, `postcode`, `burgerservicenummer`): it is refused if it
# contains one of VERBODEN_KOLOMNAMEN, or if one of its words (split at those characters) is one of
# VERBODEN_NAAMDELEN. Contract columns and VEILIGE_KOLOMNAMEN are never refused.
VERBODEN_KOLOMNAMEN = (
    "bsn", "burgerservicenummer", "sofinummer", "persoonsnummer", "anummer",
    "voornaam", "voornamen", "achternaam", "roepnaam", "geslachtsnaam", "meisjesnaam", "voorletters",
    "tussenvoegsel", "adres", "straat", "huisnummer", "huisnr", "huisletter", "postcode", "woonplaats",
    "telefoon", "telnr", "mobiel", "email", "geboortedatum", "geboortedag", "geboorteplaats", "gebdatum", "gebdat",
    "initialen", "birth",
)
VERBODEN_NAAMDELEN = ("naam", "name", "tel", "dob", "pc", "geb")
VEILIGE_KOLOMNAMEN = ("gemeentenaam", "gemeentecode", "gemeente", "regionaam", "regiocode", "opmerking")


def kolomnaam_identificerend(naam: str) -> bool:
    """True if a (normalised) column name looks like a direct identifier; see VERBODEN_KOLOMNAMEN."""
    woorden = [w for w in re.split(r"[^a-z0-9]+", naam.lower()) if w]
    samen = "".join(woorden)
    if samen in VEILIGE_KOLOMNAMEN or any(samen == k.replace("_", "") for ks in KOLOMMEN.values() for k in ks):
        return False
    return any(v in samen for v in VERBODEN_KOLOMNAMEN) or any(w in VERBODEN_NAAMDELEN for w in woorden)


# An optional declaration beside the files: levering.toml. Today it has one key, the scope of persoon_id:
# `regio` (the default: a pseudonym of the delivering region, so a person is linked within the region only)
# or `landelijk` (one national pseudonym, the same person in every region; D2-D4 then follow a person
# across regions). All current deliveries of a region declare the same scope.
DECLARATIE = "levering.toml"
PERSOON_SCOPES = ("regio", "landelijk")

# Delivery-level rules: any of these rejects the whole delivery.
LEVERINGSREGELS: dict[str, str] = {
    "mapnaam": "folder name is not <regio>_<periode> (VT01-VT27, CBS period code)",
    "bestand_ontbreekt": "one of meldingen, casussen, betrokkenen (.csv or .parquet) is missing",
    "bestand_dubbel": "a file kind is present both as .csv and as .parquet",
    "onleesbaar": "the file is not readable as UTF-8/Windows-1252 CSV or as Parquet",
    "leeg_bestand": "the file has no data rows",
    "kolom_ontbreekt": "a required column is missing",
    "kolom_dubbel": "two columns have the same name after normalisation",
    "identificerende_kolom": "a column is named like a direct identifier",
    "bsn_waarden": "a column holds values that are a BSN once spaces, dots and dashes are removed and a lost "
                   "leading zero is restored (8 or 9 digits passing the eleven-test)",
    "declaratie_ongeldig": "levering.toml is not valid TOML, or has a key or value the contract does not know",
    "persoon_scope_wisselt": "the persoon_id scope differs from that of the region's other current deliveries",
    "historie_na_regulier": "a history delivery's period ends on or after the start of a current regular delivery of the region",
    "periode_overlapt": "the period overlaps a current delivery of the same region with another period code",
    "kwaliteitspoort": "a critical Great Expectations expectation failed on the rows about to be loaded",
    "kolomtype": "a Parquet column has a type that cannot be read as one value per row (struct, list, map)",
    "geen_rijen": "no row of a file passes the row rules",
    "quarantaine_aandeel": "more than quarantaine_max_aandeel (hermelding.toml) of a file's rows would be quarantined",
    "link_buiten_map": "the folder or a file in it is a symbolic link to something outside raw_dir",
    "veld_te_groot": "a field holds more than MAX_VELDLENGTE (1000) characters",
    "casus_in_gebruik": "a correction drops a casus that meldingen of another current delivery still refer to",
    "onverwachte_fout": "an unexpected error while loading this delivery (the others still load)",
}

# Row-level rules: the row goes to quarantine, the rest of the delivery loads.
RIJREGELS: dict[str, str] = {
    "verplicht": "a required value is empty",
    "ongeldig_teken": "a value holds a control character (NUL, newline, tab, ...)",
    "datum_ongeldig": "not a date in one of the formats YYYY-MM-DD, YYYYMMDD, DD-MM-YYYY",
    "datum_buiten_periode": "datum_melding is outside the delivery's period",
    "datum_na_periode": "a casus date lies after the end of the delivery's period",
    "datum_volgorde": "casus dates out of order (start <= veiligheidsbeoordeling <= monitoring <= afsluiting)",
    "gemeente_onbekend": "gemeentecode is not a CBS municipality of the delivery's region on datum_melding",
    "code_onbekend": "value not in the code list (aard_geweld, melder, rol, geslacht, besluit)",
    "geboortejaar_ongeldig": "geboortejaar is not a whole number from 1900 to the delivery's year",
    "dubbel_id": "the id (or persoon_id + melding_id) occurs earlier in this delivery or in another current delivery",
    "casus_onbekend": "the casus is not in casussen of this delivery or of a current earlier delivery",
    "melding_onbekend": "the melding is not among this delivery's loaded meldingen",
}
