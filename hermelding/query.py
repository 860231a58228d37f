"""`hermelding sql`: one confined, read-only query on a release, and a result that explains itself.

Which release:
    default            the readers' catalog (`<marts_dir>/hermelding.duckdb`): the current release, with the
                       tables' and columns' documentation as comments
    release=<id>       that release (`hermelding releases` lists them)
    kwartaal=2025KW3   the release frozen for that quarter (its official figures); refused when none is frozen
With `intern` the internal marts are visible too (owner and `intern_groep` only), as in the catalog.

A named release is read through an in-memory DuckDB whose views read that release's Parquet files, under the
same confinement as the catalog (`publish.CONFINED`, `publish.execute_confined`): one SELECT, no files but
the visible Parquet files (`allowed_paths`), no other databases, no extensions, and the settings locked.

Period codes. A string literal that is *wholly* a period code in short form ('2025KW3', '2025hj1', '2025JJ') is
rewritten to CBS's form ('2025KW03', '2025HJ01', '2025JJ00') before the query runs, and the rewrite is
reported (`QueryResult.rewrites`). Nothing else is rewritten: not identifiers, not comments, not patterns
such as '2025KW%' or literals with other text. After the query, every period literal is compared with
`dim_periode` of the release; one that does not exist there is reported with the codes of its kind that do.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from hermelding.config import Config
from hermelding.periode import normalise_periode
from hermelding.publish import CONFINED, QueryRefused, catalog_path, execute_confined

# A literal that looks like a period code (CBS or short form, any case); validity is decided by normalise_periode.
_PERIODE_LITERAL = re.compile(r"^\d{4}(JJ|HJ|KW|MM)\d{0,2}$", re.IGNORECASE)
_STRING_LITERAL = re.compile(r"'((?:[^']|'')*)'")
SOORT_NAMEN = {"JJ": "years", "HJ": "half years", "KW": "quarters", "MM": "months"}
EXCEL_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header


@dataclass
class QueryResult:
    frame: pd.DataFrame
    release_id: str | None
    query: str                                            # the query as run (after rewriting period codes)
    rewrites: dict[str, str] = field(default_factory=dict)  # short literal -> CBS code
    notes: list[str] = field(default_factory=list)        # what the user should know about the answer


def period_literals(query: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of every string literal in the query that looks like a period code, found with
    DuckDB's own tokenizer (so nothing inside comments or identifiers)."""
    try:
        tokens = duckdb.tokenize(query)
    except duckdb.Error:
        return []
    gevonden = []
    for offset, soort in tokens:
        if soort != duckdb.token_type.string_const:
            continue
        match = _STRING_LITERAL.match(query, offset)
        if match and _PERIODE_LITERAL.match(match[1]):
            gevonden.append((match.start(), match.end(), match[1]))
    return gevonden


def normalise_period_literals(query: str) -> tuple[str, dict[str, str]]:
    """The query with every short period literal written in CBS form, and what was rewritten."""
    rewrites: dict[str, str] = {}
    delen, vorige = [], 0
    for start, eind, tekst in period_literals(query):
        try:
            code = normalise_periode(tekst)
        except ValueError:
            continue  # not a valid period: reported after the query, left as it is
        if code != tekst:
            rewrites[tekst] = code
            delen += [query[vorige:start], f"'{code}'"]
            vorige = eind
    return "".join([*delen, query[vorige:]]), rewrites


def _describe_kind(codes: list[str], soort: str) -> str:
    van_soort = sorted(c for c in codes if c[4:6] == soort)
    if not van_soort:
        return f"it has no {SOORT_NAMEN[soort]} at all"
    if len(van_soort) <= 12:
        return f"its {SOORT_NAMEN[soort]} are {', '.join(van_soort)}"
    return f"its {SOORT_NAMEN[soort]} run from {van_soort[0]} to {van_soort[-1]} ({len(van_soort)})"


def period_notes(con: duckdb.DuckDBPyConnection, query: str, release_id: str | None) -> list[str]:
    """For each period literal of the (rewritten) query that is not a period of the release: which are."""
    literals = sorted({tekst for _, _, tekst in period_literals(query)})
    if not literals:
        return []
    try:
        codes = [c for (c,) in con.execute("select periode from openbaar.dim_periode").fetchall()]
    except duckdb.Error:
        return []
    waar = f"release {release_id}" if release_id else "this release"
    notes = []
    for tekst in literals:
        try:
            code = normalise_periode(tekst)
        except ValueError as exc:
            notes.append(str(exc) + ".")
            continue
        if code not in codes:
            notes.append(f"Period '{code}' does not exist in {waar}: {_describe_kind(codes, code[4:6])} "
                         "(`select * from openbaar.dim_periode`).")
    return notes


def _sql_text(tekst: str) -> str:
    return "'" + tekst.replace("'", "''") + "'"


def release_connection(config: Config, release: str | None, kwartaal: str | None,
                       intern: bool) -> tuple[duckdb.DuckDBPyConnection, str]:
    """A confined in-memory DuckDB on a named or frozen release: a view per visible table (schemas openbaar and,
    with `intern`, intern; also reachable unqualified), their documentation as comments, `release_info`."""
    from hermelding.reader import ReleaseNotFound, open_release

    try:
        view = open_release(release=release, kwartaal=kwartaal, intern=intern, root=config, fallback=False)
    except (ReleaseNotFound, ValueError) as exc:
        raise QueryRefused(str(exc)) from None
    if intern and not os.access(view.path / "intern", os.R_OK | os.X_OK):
        raise QueryRefused(f"You may not read the internal marts of release {view.release_id}: only their owner "
                           f"and the group '{config.intern_groep or '(none configured)'}' (intern_groep) may. "
                           "Query the public figures without --intern.")
    instellingen = {k: v for k, v in CONFINED.items() if k not in ("enable_external_access", "lock_configuration")}
    con = duckdb.connect(config=instellingen)
    schemas = ["openbaar", *(["intern"] if intern else [])]
    for schema in schemas:
        con.execute(f"create schema {schema}")
    docs = view.info.get("documentatie") or {}
    for naam in view.tables():
        schema = "intern" if view.info["marts"][naam].get("map") == "intern" else "openbaar"
        con.execute(f"create view {schema}.{naam} as select * from read_parquet({_sql_text(str(view.file(naam)))})")
        beschrijving = (docs.get(naam) or {}).get("beschrijving")
        if beschrijving:
            con.execute(f"comment on view {schema}.{naam} is {_sql_text(beschrijving.strip())}")
    con.execute("create table release_info (release_id varchar, tijd varchar, git_commit varchar)")
    con.execute("insert into release_info values (?, ?, ?)", [view.release_id, view.tijd, view.info.get("git_commit")])
    con.execute(f"set search_path = '{','.join([*schemas, 'main'])}'")
    bestanden = ", ".join(_sql_text(str(view.file(naam))) for naam in view.tables())
    con.execute(f"set allowed_paths = [{bestanden}]")
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")
    return con, view.release_id


def run_query(config: Config, query: str, release: str | None = None, kwartaal: str | None = None,
              intern: bool = False) -> QueryResult:
    """Run one confined read-only query on the catalog (default), a named release or the release frozen for a
    quarter. Short period codes in string literals are rewritten (reported); period literals that the release
    does not have are named in `notes` with the codes that do exist. Raises QueryRefused."""
    herschreven, rewrites = normalise_period_literals(query)
    if release or kwartaal:
        con, release_id = release_connection(config, release, kwartaal, intern)
    else:
        pad = catalog_path(config, intern)
        if not pad.exists():
            raise QueryRefused(f"No release published yet ({pad} does not exist): run `hermelding draai` first.")
        con, release_id = None, None
    if con is None:
        from hermelding.publish import query_catalog

        frame = query_catalog(config, herschreven, intern=intern)
        # the period check reads dim_periode of the same catalog (public: dim_periode is public in both)
        with duckdb.connect(str(catalog_path(config)), read_only=True, config=CONFINED) as lees:
            release_id = lees.execute("select release_id from release_info").fetchone()[0]
            notes = period_notes(lees, herschreven, release_id)
    else:
        with con:
            frame = execute_confined(config, con, herschreven, intern)
            notes = period_notes(con, herschreven, release_id)
    return QueryResult(frame, release_id, herschreven, rewrites, notes)


def render_text(frame: pd.DataFrame) -> str:
    """A plain-text table with every column in full (no cutting, no wrapping), NULL for missing values:
    for a terminal (through a pager when wider or longer than the screen) or a file."""
    if frame.columns.empty:
        return ""
    getoond = frame.copy()
    for kolom in getoond.select_dtypes(include="object").columns:
        getoond[kolom] = getoond[kolom].where(getoond[kolom].notna(), "NULL")  # na_rep does not reach None
    return getoond.to_string(index=False, na_rep="NULL", max_colwidth=None)


def write_excel(frame: pd.DataFrame, path: Path, resultaat: QueryResult) -> Path:
    """The result as an Excel workbook for people: sheet 'resultaat' with the raw values (numbers as numbers,
    missing values as empty cells; no rounding, no '.' for suppressed cells: that is the quarterly report's
    presentation, a query returns what the release holds), a frozen header row, and sheet 'query' with the
    query as run, the release and the period codes rewritten."""
    from datetime import UTC, datetime

    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise QueryRefused(f"--excel needs a file name ending in .xlsx, not '{path.name}'.")
    if len(frame) > EXCEL_MAX_ROWS:
        raise QueryRefused(f"{len(frame)} rows do not fit on an Excel sheet ({EXCEL_MAX_ROWS}): use --csv, or "
                           "aggregate in the query.")
    if not path.parent.is_dir():
        raise QueryRefused(f"Folder {path.parent} does not exist: create it or choose another --excel path.")
    uit = frame.copy()
    for kolom in uit.columns:
        if isinstance(uit[kolom].dtype, pd.DatetimeTZDtype):
            uit[kolom] = uit[kolom].dt.tz_localize(None)  # Excel has no time zones
    over = pd.DataFrame({"veld": ["query", "release", "gemaakt (UTC)", "rijen", "periodecodes herschreven",
                                  "opmerkingen"],
                         "waarde": [resultaat.query, resultaat.release_id or "", datetime.now(UTC).isoformat(
                             timespec="seconds"), len(frame), ", ".join(f"{k} -> {v}" for k, v in
                                                                        resultaat.rewrites.items()),
                                    " ".join(resultaat.notes)]})
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        uit.to_excel(writer, sheet_name="resultaat", index=False)
        over.to_excel(writer, sheet_name="query", index=False)
        blad = writer.sheets["resultaat"]
        blad.freeze_panes = "A2"
        for i, kolom in enumerate(uit.columns, start=1):
            blad.cell(row=1, column=i).font = Font(bold=True)
            breedte = max(len(str(kolom)), *(len(str(v)) for v in uit[kolom].head(200).tolist())) if len(uit) else len(str(kolom))
            blad.column_dimensions[get_column_letter(i)].width = min(60, breedte + 2)
        writer.sheets["query"].column_dimensions["B"].width = 100
    return path
