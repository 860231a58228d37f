"""Ingest: load every new or changed delivery under data/raw/ into the DuckDB warehouse.

Per delivery: read the three files as text, refuse direct identifiers, validate rows set-based
(`ingest_sql`), run the Great Expectations door suites on the rows about to be loaded, then load
everything in one transaction: good rows, quarantined rows, ledger. A rejected delivery loads nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
import tomllib
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from hermelding import gate
from hermelding.config import Config
from hermelding.contract import (
    BESTANDSSOORTEN,
    DECLARATIE,
    EXTENSIES,
    KOLOMMEN,
    LEVERING_RE,
    MAX_VELDLENGTE,
    PERSOON_SCOPES,
    kolomnaam_identificerend,
)
from hermelding.ingest_sql import MACROS, WAREHOUSE_DDL, bsn_telling, valideer
from hermelding.periode import parse_periode

log = logging.getLogger(__name__)


# Refusals that depend on configuration, code or the other deliveries rather than only on the files: retried every
# run (a raised quarantaine_max_aandeel, a fixed bug, a region whose other periods now declare the same scope)
# instead of being skipped until the content changes.
OPNIEUW_PROBEREN = ("quarantaine_aandeel", "onverwachte_fout", "persoon_scope_wisselt")


class LeveringAfgewezen(Exception):
    """A delivery-level problem: the whole delivery is refused. The message names delivery, file,
    column and rule, never a data value."""

    def __init__(self, regelcode: str, bericht: str):
        super().__init__(bericht)
        self.regelcode = regelcode


@dataclass
class BestandVerslag:
    soort: str
    naam: str
    bytes: int
    sha256: str
    rijen_gelezen: int = 0
    rijen_geladen: int = 0
    rijen_quarantaine: int = 0
    extra_kolommen: list[str] = field(default_factory=list)


@dataclass
class LeveringVerslag:
    map: str
    uitkomst: str  # geladen | afgewezen | ongewijzigd | hersteld
    levering_id: str | None = None
    regelcode: str | None = None
    reden: str | None = None
    vervangt: str | None = None
    bestanden: list[BestandVerslag] = field(default_factory=list)
    quarantaine_per_regel: dict[str, int] = field(default_factory=dict)
    waarschuwingen: list[str] = field(default_factory=list)

    @property
    def rijen_geladen(self) -> int:
        return sum(b.rijen_geladen for b in self.bestanden)

    @property
    def rijen_quarantaine(self) -> int:
        return sum(b.rijen_quarantaine for b in self.bestanden)


# ---------------------------------------------------------------------------------------------
# reading files


def _sha256(pad: Path) -> str:
    h = hashlib.sha256()
    with pad.open("rb") as f:
        for blok in iter(lambda: f.read(1 << 20), b""):
            h.update(blok)
    return h.hexdigest()


def _normaliseer(naam: str) -> str:
    return naam.replace("\ufeff", "").strip().lower()


def _csv_records(data: bytes, scheiding: str) -> tuple[np.ndarray, np.ndarray]:
    """Physical first line and number of fields of every non-blank CSV record, set-based over the bytes:
    a newline or delimiter counts only outside quotes (an even number of `"` before it; an escaped `""`
    keeps the parity). Blank lines are skipped, as the CSV reader skips them; a quoted field may span
    lines. So `regel` is the line an editor shows, whatever blank lines or multi-line fields precede it."""
    buf = np.frombuffer(data, dtype=np.uint8)
    if buf.size == 0 or buf[-1] != 10:
        buf = np.append(buf, np.uint8(10))
    aanhalingen = np.cumsum(buf == 34)
    regeleinden = np.flatnonzero(buf == 10)
    einde = regeleinden[aanhalingen[regeleinden] % 2 == 0]
    begin = np.concatenate(([0], einde[:-1] + 1))
    lengte = einde - begin
    leeg = (lengte == 0) | ((lengte == 1) & (buf[np.minimum(begin, buf.size - 1)] == 13))
    eerste_regel = np.searchsorted(regeleinden, begin) + 1
    scheidingen = np.flatnonzero(buf == ord(scheiding))
    scheidingen = scheidingen[aanhalingen[scheidingen] % 2 == 0]
    velden = np.bincount(np.searchsorted(einde, scheidingen), minlength=einde.size) + 1
    return eerste_regel[~leeg], velden[~leeg]


def _read_csv(pad: Path, levering: str) -> pa.Table:
    data = pad.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            tekst = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise LeveringAfgewezen("onleesbaar", f"{levering}/{pad.name}: not readable as UTF-8 or Windows-1252 "
                                "(rule onleesbaar). Ask the supplier to re-export the file.")
    kop = tekst.lstrip("\r\n").split("\n", 1)[0]  # blank lines before the header are skipped
    scheiding = ";" if kop.count(";") > kop.count(",") else ","
    namen = next(csv.reader([kop.rstrip("\r")], delimiter=scheiding)) if kop.strip() else []
    if not namen or not tekst.strip():
        raise LeveringAfgewezen("leeg_bestand", f"{levering}/{pad.name}: the file is empty (rule leeg_bestand).")
    utf8 = tekst.encode("utf-8")
    regels, velden = _csv_records(utf8, scheiding)
    afwijkend = np.flatnonzero(velden != velden[0])
    if afwijkend.size:
        eerste = afwijkend[0]
        raise LeveringAfgewezen("onleesbaar", f"{levering}/{pad.name}: line {regels[eerste]} has {velden[eerste]} "
                                f"fields where the header (line {regels[0]}) has {velden[0]}; {afwijkend.size} "
                                "such lines (rule onleesbaar). Check delimiters and quotes in that line; nothing of "
                                "this delivery was loaded.")
    try:
        tabel = pacsv.read_csv(
            io.BytesIO(utf8),
            # one block for the whole file: a field of any size parses (MAX_VELDLENGTE then refuses it cleanly)
            read_options=pacsv.ReadOptions(block_size=max(len(utf8) + 1, 1 << 20)),
            parse_options=pacsv.ParseOptions(delimiter=scheiding, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in namen}, strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, ValueError) as exc:
        # pyarrow's message may quote content, so keep only its first clause
        oorzaak = str(exc).split(":")[0]
        raise LeveringAfgewezen("onleesbaar", f"{levering}/{pad.name}: not a valid CSV file ({oorzaak}; rule onleesbaar).") from None
    if tabel.num_rows == regels.size - 1:
        regel = pa.array(regels[1:], pa.int64())
    else:  # a quote inside an unquoted field confuses the count above: fall back to counting records
        log.warning("%s/%s: physical line numbers could not be determined; regel counts records instead",
                    levering, pad.name)
        regel = pa.array(range(2, tabel.num_rows + 2), pa.int64())
    return tabel.append_column("regel", regel)


def _als_tekst(kolom: pa.ChunkedArray, naam: str, plaats: str) -> pa.ChunkedArray:
    """One Parquet column as text, so that it is validated like a CSV value. Dates and timestamps become
    `YYYY-MM-DD` (a timestamp with a time zone on its local date), integral floats lose their `.0`;
    nested columns (struct, list, map) cannot be validated and refuse the delivery."""
    soort = kolom.type
    if pa.types.is_nested(soort) or pa.types.is_union(soort):
        raise LeveringAfgewezen("kolomtype", f"{plaats}: column '{naam}' has the nested type {soort} (a struct, "
                                "list or map), not one value per row (rule kolomtype). Ask the supplier to "
                                "export plain columns; nothing of this delivery was loaded.")
    try:
        if pa.types.is_timestamp(soort):
            if soort.tz:
                kolom = pc.local_timestamp(kolom)
            kolom = pc.cast(pc.floor_temporal(kolom, unit="day"), pa.date32())
        return pc.fill_null(pc.cast(kolom, pa.string()), "")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise LeveringAfgewezen("kolomtype", f"{plaats}: column '{naam}' of type {soort} cannot be read as text "
                                "(rule kolomtype). Ask the supplier to export text, number or date columns; "
                                "nothing of this delivery was loaded.") from None


def _read_parquet(pad: Path, levering: str) -> pa.Table:
    try:
        tabel = pq.read_table(pad)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise LeveringAfgewezen("onleesbaar", f"{levering}/{pad.name}: not a readable Parquet file "
                                f"({type(exc).__name__}; rule onleesbaar).") from None
    kolommen = [_als_tekst(c, n, f"{levering}/{pad.name}") for c, n in zip(tabel.columns, tabel.column_names, strict=True)]
    tabel = pa.table(kolommen, names=tabel.column_names)
    return tabel.append_column("regel", pa.array(range(1, tabel.num_rows + 1), pa.int64()))


def _read_file(pad: Path, soort: str, levering: str) -> tuple[pa.Table, list[str]]:
    """The file as an all-text Arrow table with normalised, required columns; returns extra columns."""
    if pad.stat().st_size == 0:
        raise LeveringAfgewezen("leeg_bestand", f"{levering}/{pad.name}: the file is empty (rule leeg_bestand).")
    tabel = _read_csv(pad, levering) if pad.suffix.lower() == ".csv" else _read_parquet(pad, levering)
    namen = [_normaliseer(n) if n != "regel" else n for n in tabel.column_names]
    plaats = f"{levering}/{pad.name}"
    ontbreekt = [k for k in KOLOMMEN[soort] if k not in namen]
    # Without any contract column the first line is probably data, not a header: never echo its "names".
    zonder_kop = len(ontbreekt) == len(KOLOMMEN[soort])
    verboden = [n for n in namen if n != "regel" and kolomnaam_identificerend(n)]
    if verboden:
        raise LeveringAfgewezen(
            "identificerende_kolom",
            f"{plaats}: {'a column' if zonder_kop else f'column {verboden[0]!r}'} looks like a direct identifier "
            f"({tabel.num_rows} values; rule identificerende_kolom). Direct identifiers must never be "
            "delivered: ask the supplier for a pseudonymised export. Nothing of this delivery was loaded.")
    dubbel = sorted({n for n in namen if namen.count(n) > 1})
    if dubbel and not zonder_kop:
        raise LeveringAfgewezen("kolom_dubbel", f"{plaats}: "
                                f"column {dubbel[0]!r} appears more than once "
                                "(rule kolom_dubbel).")
    if ontbreekt:
        raise LeveringAfgewezen("kolom_ontbreekt", f"{plaats}: required column '{ontbreekt[0]}' is missing "
                                f"(rule kolom_ontbreekt; required: {', '.join(KOLOMMEN[soort])})"
                                + (". None of them is in the first line: is the header line missing?" if zonder_kop else "."))
    tabel = tabel.rename_columns(namen)
    if tabel.num_rows == 0:
        raise LeveringAfgewezen("leeg_bestand", f"{plaats}: the file has a header but no rows (rule leeg_bestand).")
    for naam in namen:
        if naam == "regel":
            continue
        lengtes = pc.utf8_length(tabel[naam])
        if pc.max(lengtes).as_py() > MAX_VELDLENGTE:
            eerste = pc.index(pc.greater(lengtes, MAX_VELDLENGTE), True).as_py()
            raise LeveringAfgewezen("veld_te_groot", f"{plaats}: line {tabel['regel'][eerste]}, column '{naam}' holds "
                                    f"{lengtes[eerste]} characters, more than the {MAX_VELDLENGTE} a field may have "
                                    "(rule veld_te_groot). Check the quotes around that line, or ask the supplier to "
                                    "leave free text out; nothing of this delivery was loaded.")
    extra = [n for n in namen if n not in KOLOMMEN[soort] and n != "regel"]
    return tabel, extra


def _find_files(map_: Path) -> dict[str, Path]:
    gevonden: dict[str, Path] = {}
    for soort in BESTANDSSOORTEN:
        kandidaten = [p for p in map_.iterdir() if p.is_file() and p.stem.lower() == soort and p.suffix.lower() in EXTENSIES]
        if not kandidaten:
            raise LeveringAfgewezen("bestand_ontbreekt", f"{map_.name}: file '{soort}.csv' or '{soort}.parquet' is missing "
                                    "(rule bestand_ontbreekt).")
        if len(kandidaten) > 1:
            raise LeveringAfgewezen("bestand_dubbel", f"{map_.name}: '{soort}' is delivered more than once "
                                    f"({', '.join(sorted(p.name for p in kandidaten))}; rule bestand_dubbel).")
        gevonden[soort] = kandidaten[0]
    return gevonden


# ---------------------------------------------------------------------------------------------
# the warehouse


def open_warehouse(pad: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if not read_only:
        pad.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(pad), read_only=read_only)
    if not read_only:
        # A delivery must be loaded entirely or not at all, whatever instant the process dies. DuckDB
        # writes a large append (more than one row group, ~123k rows) to the database file before the
        # commit ("optimistic write") and the commit then logs only pointers to those blocks; a SIGKILL
        # while that commit is being written leaves the big table's rows visible after WAL replay while
        # the rest of the transaction (the other tables, the ledger row) is lost (measured with DuckDB
        # 1.5.6: 8 of 30 kills in the commit window; duckdb/duckdb PR #25931 "Fix uncommitted data
        # recovered accidentally"). With optimistic writes off the whole transaction goes through the WAL,
        # and replay applies it completely or not at all (0 of 150 kills). It costs memory only for the
        # transaction's own rows, a few hundred MB at national scale.
        con.execute("set enable_optimistic_write = false")
        con.execute("set enable_progress_bar = false")  # no progress bars in the operator's log
        con.execute(WAREHOUSE_DDL)
    return con


def herstel_warehouse(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Repair a warehouse left inconsistent by an interrupted load (or by a DuckDB version whose commit is
    not atomic): rows of a delivery without a 'geladen' ledger row are removed; a 'geladen' delivery
    whose rows do not match its ledger counts is removed entirely (rows, quarantine, warnings, ledger)
    so that its folder is loaded again; a period left without a current delivery gets its latest
    complete one back. Returns one line per repair, with counts and never a value; empty if consistent."""
    meldingen: list[str] = []
    tabellen = BESTANDSSOORTEN + ("quarantaine", "waarschuwingen", "leveringsbestanden")
    # 1. a 'geladen' ledger row whose files or row counts do not match what is stored: incomplete
    telling = " union all ".join(
        f"select levering_id, '{s}' as bestandssoort, count(*) as n from ingest.{s} group by all" for s in BESTANDSSOORTEN)
    onvolledig = [r[0] for r in con.execute(f"""
        select l.levering_id from ingest.leveringen l
        where l.uitkomst = 'geladen' and (
            (select count(*) from ingest.leveringsbestanden b where b.levering_id = l.levering_id) <> 3
            or exists (select 1 from ingest.leveringsbestanden b
                       left join ({telling}) t using (levering_id, bestandssoort)
                       where b.levering_id = l.levering_id and b.rijen_geladen <> coalesce(t.n, 0))
            or (select count(distinct (bestandssoort, regel)) from ingest.quarantaine q where q.levering_id = l.levering_id)
               <> (select sum(rijen_quarantaine) from ingest.leveringsbestanden b where b.levering_id = l.levering_id))
        order by l.levering_id
    """).fetchall()]
    con.execute("begin transaction")
    try:
        for levering_id in onvolledig:
            con.execute("delete from ingest.leveringen where levering_id = ?", [levering_id])
            meldingen.append(f"delivery {levering_id} was only partly stored (interrupted load): removed, "
                             "its folder is loaded again")
        # 2. rows whose delivery has no 'geladen' ledger row (including those just removed)
        for t in tabellen:
            n = con.execute(f"""
                delete from ingest.{t} where levering_id not in
                    (select levering_id from ingest.leveringen where uitkomst = 'geladen')""").fetchone()[0]
            if n:
                meldingen.append(f"ingest.{t}: {n} rows without a loaded delivery in the ledger removed")
        # 3. every period that has a loaded delivery has exactly one current one: the latest
        herstel = con.execute("""
            select regio, periode, arg_max(levering_id, ingelezen_op) from ingest.leveringen
            where uitkomst = 'geladen' group by regio, periode having count(*) filter (where is_actueel) <> 1
        """).fetchall()
        for regio, periode, levering_id in herstel:
            con.execute("update ingest.leveringen set is_actueel = (levering_id = ?) where regio = ? and periode = ?",
                        [levering_id, regio, periode])
            meldingen.append(f"{regio} {periode}: no single current delivery; {levering_id} (the latest loaded) "
                             "made current")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    for m in meldingen:
        log.warning("Warehouse repaired: %s", m)
    return meldingen


def _laad_referentie(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    seeds = config.seeds_dir
    con.execute(f"create or replace temp table codelijst as select * from read_csv('{seeds / 'codelijsten.csv'}', all_varchar=true)")
    con.execute(f"create or replace temp table gemeente_ref as select * from read_csv('{seeds / 'gemeenten.csv'}', all_varchar=true)")


def content_hash(map_: Path) -> str:
    """Content hash of a delivery folder: names and SHA-256 of every file in it (a symbolic link by the
    path it points to: its target is not read)."""
    regels = sorted(f"{p.name}->{os.readlink(p)}" if p.is_symlink() else f"{p.name}:{_sha256(p)}"
                    for p in map_.iterdir() if p.is_symlink() or p.is_file())
    return hashlib.sha256("\n".join(regels).encode()).hexdigest()


def _links_outside(map_: Path, raw_dir: Path) -> list[str]:
    """Names of the folder and of its entries that are symbolic links to something outside raw_dir."""
    basis = raw_dir.resolve()
    return [p.name for p in (map_, *map_.iterdir()) if p.is_symlink() and not p.resolve().is_relative_to(basis)]


def _ingest_levering(con, config: Config, map_: Path, verklaard: dict[tuple[str, str], str] | None = None) -> LeveringVerslag:
    naam = map_.name
    match = LEVERING_RE.match(naam)
    links = _links_outside(map_, config.raw_dir)
    inhoud = content_hash(map_)
    bestanden, verslagen, fout_bij_lezen = {}, [], None
    try:
        if links:
            raise LeveringAfgewezen("link_buiten_map", f"{naam!r}: {links[0]!r} is a symbolic link to outside raw_dir "
                                    f"{config.raw_dir} (rule link_buiten_map). Copy the files into the delivery "
                                    "folder instead; nothing was read.")
        bestanden = _find_files(map_)
        verslagen = [BestandVerslag(s, p.name, p.stat().st_size, _sha256(p)) for s, p in bestanden.items()]
    except LeveringAfgewezen as fout:
        fout_bij_lezen = fout

    # idempotency: this folder's content was seen before
    laatste = con.execute(f"""
        select levering_id, uitkomst, is_actueel,
            regexp_matches(coalesce(reden, ''), 'rule ({"|".join(OPNIEUW_PROBEREN)})[;)]') as opnieuw
        from ingest.leveringen
        where map = ? and inhoud_sha256 = ? order by ingelezen_op desc limit 1
    """, [naam, inhoud]).fetchone()
    if laatste and laatste[1] == "afgewezen" and laatste[3]:
        laatste = None  # refused by a rule that depends on configuration or code, not only on the content
    if laatste and (laatste[2] or laatste[1] == "afgewezen"):
        return LeveringVerslag(naam, "ongewijzigd", levering_id=laatste[0],
                               reden="eerder afgewezen" if laatste[1] == "afgewezen" else None)

    levering_id = f"{naam}_{inhoud[:12]}"
    regio = periode = None
    try:
        if not match:
            raise LeveringAfgewezen("mapnaam", f"{naam!r}: folder name is not <regio>_<periode>, e.g. VT02_2024HJ01 "
                                    "(rule mapnaam). Rename the folder; nothing was loaded.")
        regio, periode = match["regio"], parse_periode(match["periode"])
        if fout_bij_lezen:
            raise fout_bij_lezen
        # A superseded delivery delivered again ("hersteld") is validated and loaded again like a new one:
        # the other current deliveries may have changed since (a melding id or casus moved elsewhere).
        herstel = laatste is not None and laatste[1] == "geladen"
        scope = _persoon_scope(map_, con, regio, periode.code, verklaard or {})
        soort = "historie" if match["historie"] else "regulier"
        _controleer_historie(con, naam, regio, periode, soort)
        overlap = con.execute("""
            select levering_id from ingest.leveringen
            where regio = ? and is_actueel and periode <> ? and periode_start <= ? and periode_eind >= ?
        """, [regio, periode.code, periode.eind, periode.start]).fetchone()
        if overlap:
            raise LeveringAfgewezen("periode_overlapt", f"{naam}: period {periode.code} overlaps current delivery "
                                    f"{overlap[0]} (rule periode_overlapt). Deliver one kind of period per region.")
        try:
            return _laad(con, config, naam, levering_id, regio, periode, bestanden, verslagen, inhoud, herstel,
                         scope, soort)
        except (LeveringAfgewezen, OSError, MemoryError, duckdb.IOException, duckdb.OutOfMemoryException):
            raise  # a refusal, or the machine (disk, memory): the run stops and the next one retries
        except Exception as exc:  # anything else is about this delivery's content: refuse it, load the others
            raise _onverwacht(naam, exc) from None
    except LeveringAfgewezen as fout:
        con.execute("begin transaction")
        try:
            # a restore refused now: this content's earlier (superseded) load is replaced by the refusal
            for tabel in (*BESTANDSSOORTEN, "quarantaine", "waarschuwingen", "leveringsbestanden", "leveringen"):
                con.execute(f"delete from ingest.{tabel} where levering_id = ?", [levering_id])
            con.execute("""
                insert into ingest.leveringen (levering_id, map, regio, periode, periode_start, periode_eind,
                    inhoud_sha256, ingelezen_op, uitkomst, reden, is_actueel, vervangt)
                values (?, ?, ?, ?, ?, ?, ?, ?, 'afgewezen', ?, false, null)
            """, [levering_id, naam, regio, periode.code if periode else None, periode.start if periode else None,
                  periode.eind if periode else None, inhoud, datetime.now(), str(fout)])
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        log.debug("Delivery %s rejected: %s", naam, fout)  # reported by the caller (CLI or flow task)
        return LeveringVerslag(naam, "afgewezen", levering_id=levering_id, regelcode=fout.regelcode,
                               reden=str(fout), bestanden=verslagen)


def _controleer_historie(con, naam: str, regio: str, periode, soort: str) -> None:
    """A history delivery only fills the look-back before the region's regular data: its period must end
    before the first current regular delivery of the region starts (docs/methode.md)."""
    if soort != "historie":
        return
    later = con.execute("""
        select levering_id from ingest.leveringen
        where regio = ? and is_actueel and uitkomst = 'geladen' and coalesce(leveringsoort, 'regulier') = 'regulier'
          and periode_start <= ?
        order by periode_start limit 1""", [regio, periode.eind]).fetchone()
    if later:
        raise LeveringAfgewezen(
            "historie_na_regulier", f"{naam}: a history delivery for {periode.code} ends on or after the start of "
            f"current regular delivery {later[0]} (rule historie_na_regulier). History only fills the look-back "
            "before the regular data: deliver these periods as regular deliveries (without _historie) instead.")


def _verklaarde_scope(map_: Path) -> str:
    """The persoon_id scope a delivery folder declares in levering.toml (default `regio`). An unreadable file, an
    unknown key or another value refuses the delivery (rule declaratie_ongeldig)."""
    pad = map_ / DECLARATIE
    if not pad.is_file():
        return "regio"
    try:
        declaratie = tomllib.loads(pad.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LeveringAfgewezen("declaratie_ongeldig", f"{map_.name}/{DECLARATIE}: not valid TOML "
                                f"({type(exc).__name__}; rule declaratie_ongeldig).") from None
    onbekend = sorted(set(declaratie) - {"persoon_id"})
    scope = declaratie.get("persoon_id", "regio")
    if onbekend or scope not in PERSOON_SCOPES:
        raise LeveringAfgewezen(
            "declaratie_ongeldig", f"{map_.name}/{DECLARATIE}: "
            + (f"unknown key '{onbekend[0]}'" if onbekend else "persoon_id must be one of " + ", ".join(PERSOON_SCOPES))
            + " (rule declaratie_ongeldig; docs/export-contract.md).")
    return scope


def _persoon_scope(map_: Path, con, regio: str, periode: str, verklaard: dict[tuple[str, str], str]) -> str:
    """The persoon_id scope the delivery declares (`_verklaarde_scope`); it must equal the scope of the region's
    other current deliveries, or one pseudonym would mean different things within a region.
    `verklaard`: (region, period) -> the scope declared by the delivery folders of this run. A current delivery
    whose period is delivered again in this run with this delivery's scope does not count against it: so a
    region switches scope by re-delivering every current period with the new declaration in one run (docs/
    export-contract.md). If one of them is refused, the region is left with two scopes, and the build refuses
    to run on it (dbt test een_persoon_scope_per_regio) until that delivery is corrected."""
    scope = _verklaarde_scope(map_)
    opnieuw = [p for (r, p), s in verklaard.items() if r == regio and s == scope]
    anders = con.execute("""
        select levering_id, persoon_scope from ingest.leveringen
        where regio = ? and is_actueel and uitkomst = 'geladen' and periode <> ? and persoon_scope <> ?
            and not list_contains(?, periode)
        order by periode limit 1""", [regio, periode, scope, opnieuw]).fetchone()
    if anders:
        raise LeveringAfgewezen(
            "persoon_scope_wisselt", f"{map_.name}: declares persoon_id scope '{scope}' but current delivery "
            f"{anders[0]} of region {regio} has '{anders[1]}' (rule persoon_scope_wisselt). A region uses one kind of "
            "pseudonym: correct levering.toml, or switch the region's scope by delivering every current period "
            "again with the new declaration in one run (docs/export-contract.md).")
    return scope


def _onverwacht(naam: str, exc: Exception) -> LeveringAfgewezen:
    """An unexpected error while loading one delivery. Its message may quote a data value, so neither the
    operator's message nor the log carries it: only the type and where in the code it happened."""
    plek = traceback.extract_tb(exc.__traceback__)
    waar = ", ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in plek[-3:])
    log.error("Delivery %s: unexpected %s at %s (message withheld: it may quote data)", naam, type(exc).__name__, waar)
    return LeveringAfgewezen("onverwachte_fout", f"{naam}: unexpected {type(exc).__name__} while loading "
                             f"(in {plek[-1].name if plek else '?'}; rule onverwachte_fout). Nothing of this delivery "
                             "was loaded; the other deliveries were. Check the files against docs/export-contract.md; "
                             "if they are fine, report this as a bug with the log line of this run.")


def _laad(con, config, naam, levering_id, regio, periode, bestanden, verslagen, inhoud,
          herstel: bool = False, scope: str = "regio", leveringsoort: str = "regulier") -> LeveringVerslag:
    tabellen = {}
    for verslag in verslagen:
        tabel, extra = _read_file(bestanden[verslag.soort], verslag.soort, naam)
        verslag.extra_kolommen = extra
        verslag.rijen_gelezen = tabel.num_rows
        tabellen[verslag.soort] = tabel
    con.execute(MACROS)
    _laad_referentie(con, config)
    for soort, tabel in tabellen.items():
        # a column name is stored (extra columns are reported): it must not be a BSN either
        if con.execute("select count(*) from unnest(?::varchar[]) t(naam) where lijkt_bsn(naam)",
                       [tabel.column_names]).fetchone()[0]:
            raise LeveringAfgewezen("bsn_waarden", f"{naam}/{bestanden[soort].name}: a column name looks like a BSN "
                                    "(rule bsn_waarden). Is the header line missing? Direct identifiers must never be "
                                    "delivered; nothing of this delivery was loaded.")
        con.register(f"arrow_{soort}", tabel)
        con.execute(f"create or replace temp table ruw_{soort} as select * from arrow_{soort}")
        con.unregister(f"arrow_{soort}")
        for kolom, aantal in bsn_telling(con, f"ruw_{soort}"):
            raise LeveringAfgewezen(
                "bsn_waarden",
                f"{naam}/{bestanden[soort].name}: column '{kolom}' holds {aantal} values that look like a BSN "
                "(8 or 9 digits, after removing spaces, dots and dashes, passing the eleven-test; rule bsn_waarden). Direct identifiers must never be delivered: "
                "ask the supplier for a pseudonymised export. Nothing of this delivery was loaded.")

    valideer(con, regio, periode.start, periode.eind)
    _controleer_quarantaine(con, config, naam, verslagen)
    vorige = con.execute("select levering_id from ingest.leveringen where regio = ? and periode = ? and is_actueel",
                         [regio, periode.code]).fetchone()
    if vorige:
        _controleer_casussen_in_gebruik(con, naam, bestanden["casussen"].name, vorige[0])

    verslag = LeveringVerslag(naam, "hersteld" if herstel else "geladen", levering_id=levering_id, bestanden=verslagen)
    if herstel:
        verslag.reden = ("identical to an earlier delivery of this period; validated again against the current "
                         "deliveries and current again")
    for b in verslagen:
        if b.extra_kolommen:
            verslag.waarschuwingen.append(f"{b.naam}: extra columns kept out of the warehouse: {', '.join(b.extra_kolommen)}")
    resultaat = gate.valideer_levering(con, config)
    verslag.waarschuwingen += resultaat.waarschuwingen
    if resultaat.kritiek:
        raise LeveringAfgewezen("kwaliteitspoort", f"{naam}: critical expectations failed on the rows about to be "
                                f"loaded (rule kwaliteitspoort): {'; '.join(resultaat.kritiek)}")

    verslag.vervangt = vorige[0] if vorige else None
    con.execute("begin transaction")
    try:
        if vorige:
            con.execute("update ingest.leveringen set is_actueel = false where levering_id = ?", [vorige[0]])
        if herstel:  # the earlier load of this content is replaced by this one (same levering_id)
            for tabel in (*BESTANDSSOORTEN, "quarantaine", "waarschuwingen", "leveringsbestanden"):
                con.execute(f"delete from ingest.{tabel} where levering_id = ?", [levering_id])
        for b in verslagen:
            soort = b.soort
            kolommen = ", ".join(("regel",) + KOLOMMEN[soort])
            con.execute(f"insert into ingest.{soort} (levering_id, {kolommen}) select ?, {kolommen} from schoon_{soort}",
                        [levering_id])
            b.rijen_geladen = con.execute(f"select count(*) from ingest.{soort} where levering_id = ?", [levering_id]).fetchone()[0]
            b.rijen_quarantaine = con.execute(
                "select count(distinct regel) from overtredingen where bestandssoort = ?", [soort]).fetchone()[0]
            if b.rijen_gelezen != b.rijen_geladen + b.rijen_quarantaine:
                raise RuntimeError(f"{naam}/{b.naam}: {b.rijen_gelezen} rows read but {b.rijen_geladen} loaded + "
                                   f"{b.rijen_quarantaine} quarantined; refusing to commit. This is a bug: report it.")
            con.execute("insert into ingest.leveringsbestanden values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [levering_id, soort, b.naam, b.bytes, b.sha256, b.rijen_gelezen, b.rijen_geladen,
                         b.rijen_quarantaine, b.extra_kolommen])
        namen = {b.soort: b.naam for b in verslagen}
        con.execute("""
            insert into ingest.quarantaine
            select ?, bestandssoort, case bestandssoort when 'meldingen' then ? when 'casussen' then ? else ? end,
                   regel, kolom, regelcode, waarde
            from overtredingen
        """, [levering_id, namen["meldingen"], namen["casussen"], namen["betrokkenen"]])
        for w in verslag.waarschuwingen:
            con.execute("insert into ingest.waarschuwingen values (?, null, 'levering', ?)", [levering_id, w])
        if herstel:  # the ledger keeps one row per content: its first load time, now current again
            con.execute("update ingest.leveringen set is_actueel = true, vervangt = ?, reden = ? where levering_id = ?",
                        [verslag.vervangt, f"hersteld {datetime.now():%Y-%m-%d %H:%M}: validated and loaded again",
                         levering_id])
        else:  # (an earlier refusal of this content by an OPNIEUW_PROBEREN rule is replaced)
            con.execute("delete from ingest.leveringen where levering_id = ?", [levering_id])
            con.execute("""
                insert into ingest.leveringen (levering_id, map, regio, periode, periode_start, periode_eind,
                    inhoud_sha256, ingelezen_op, uitkomst, reden, is_actueel, vervangt, persoon_scope, leveringsoort)
                values (?, ?, ?, ?, ?, ?, ?, ?, 'geladen', null, true, ?, ?, ?)""",
                        [levering_id, naam, regio, periode.code, periode.start, periode.eind, inhoud, datetime.now(),
                         verslag.vervangt, scope, leveringsoort])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    verslag.quarantaine_per_regel = dict(con.execute(
        "select regelcode, count(*) from overtredingen group by regelcode order by regelcode").fetchall())
    return verslag


def _controleer_quarantaine(con, config: Config, naam: str, verslagen: list[BestandVerslag]) -> None:
    """A file of which no row, or more than `quarantaine_max_aandeel` of the rows, would load is not a
    delivery with some bad rows but a delivery in the wrong format: refuse it whole."""
    grens = float(config.quarantaine_max_aandeel)
    per_soort = dict(con.execute(
        "select bestandssoort, count(distinct regel) from overtredingen group by bestandssoort").fetchall())
    for b in verslagen:
        n = per_soort.get(b.soort, 0)
        if n == 0:
            continue
        regels = ", ".join(f"{code} {aantal}" for code, aantal in con.execute("""
            select regelcode, count(*) from overtredingen where bestandssoort = ? group by regelcode order by 2 desc, 1
        """, [b.soort]).fetchall())
        if n >= b.rijen_gelezen:
            raise LeveringAfgewezen("geen_rijen", f"{naam}/{b.naam}: none of the {b.rijen_gelezen} rows passes the row "
                                    f"rules (rule geen_rijen; by rule: {regels}). Check the file's format against "
                                    "docs/export-contract.md; nothing of this delivery was loaded.")
        if n > grens * b.rijen_gelezen:
            raise LeveringAfgewezen("quarantaine_aandeel", f"{naam}/{b.naam}: {n} of {b.rijen_gelezen} rows "
                                    f"({n / b.rijen_gelezen:.0%}) would be quarantined, more than "
                                    f"quarantaine_max_aandeel = {grens:g} (rule quarantaine_aandeel; by rule: {regels}). "
                                    "Check the file against docs/export-contract.md, or raise quarantaine_max_aandeel "
                                    "in hermelding.toml if this is expected; nothing of this delivery was loaded.")


def _controleer_casussen_in_gebruik(con, naam: str, bestand: str, vorige: str) -> None:
    """A correction replaces its predecessor completely. If the predecessor had a casus that meldingen of
    another current delivery still refer to, and neither this correction (its loadable rows) nor another
    current delivery has it, those meldingen would lose their casus: refuse the correction."""
    n_casus, n_meldingen, leveringen = con.execute("""
        select count(distinct m.casus_id), count(*), string_agg(distinct l.map, ', ' order by l.map)
        from ingest.meldingen m join ingest.leveringen l using (levering_id)
        where m.levering_id in (select levering_id from actueel_regio)
          and m.casus_id in (select casus_id from ingest.casussen where levering_id = ?)
          and m.casus_id not in (select casus_id from schoon_casussen)
          and m.casus_id not in (select casus_id from ingest.casussen
                                 where levering_id in (select levering_id from actueel_regio))
    """, [vorige]).fetchone()
    if n_casus:
        raise LeveringAfgewezen("casus_in_gebruik", f"{naam}/{bestand}: this correction no longer has {n_casus} "
                                f"casussen of {vorige} that {n_meldingen} meldingen of current delivery {leveringen} "
                                "still refer to (rule casus_in_gebruik). Deliver those casussen in this correction "
                                "again, or correct the other delivery first; nothing of this delivery was loaded.")


def leveringsmappen(raw_dir: Path, referentie_dir: Path | None = None) -> list[Path]:
    """Delivery folders in load order: valid names by region and period start, others first."""
    if not raw_dir.is_dir():
        return []
    mappen = [p for p in raw_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
              and (referentie_dir is None or p.resolve() != referentie_dir.resolve())]

    def sleutel(p: Path):
        m = LEVERING_RE.match(p.name)
        if not m:
            return (0, "", "", p.name)
        per = parse_periode(m["periode"])
        return (1, m["regio"], per.start.isoformat(), p.name)

    return sorted(mappen, key=sleutel)


def ingest(config: Config, voortgang=None) -> list[LeveringVerslag]:
    """Ingest every new or changed delivery. Returns one report per delivery folder.
    `voortgang(naam, i, n)`, if given, is called before each delivery (a progress display)."""
    mappen = leveringsmappen(config.raw_dir, config.referentie_dir)
    con = open_warehouse(config.warehouse)
    verslagen = []
    try:
        herstel_warehouse(con)
        # the scope each delivery folder of this run declares, per region and period (rule persoon_scope_wisselt)
        verklaard = {}
        for map_ in mappen:
            if m := LEVERING_RE.match(map_.name):
                try:
                    verklaard[(m["regio"], parse_periode(m["periode"]).code)] = _verklaarde_scope(map_)
                except (ValueError, LeveringAfgewezen):  # refused later with its own rule
                    pass
        for i, map_ in enumerate(mappen):  # one iteration per delivery; rows are handled set-based
            if voortgang:
                voortgang(map_.name, i, len(mappen))
            verslagen.append(_ingest_levering(con, config, map_, verklaard))
        return verslagen
    finally:
        con.close()
