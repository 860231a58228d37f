"""Read a published release: the one door for notebooks, the quarterly report and other readers.

    from hermelding.reader import open_release

    release = open_release()                      # the current release, public marts only
    release = open_release(kwartaal="2025KW3")    # the release frozen for a quarter (official figures)
    release = open_release(release="20261128T020000123456Z")
    release = open_release(intern=True)           # also the internal marts (exact counts, per melding):
                                                  # only for people allowed to see them

    release.release_id, release.tijd, release.frozen_for, release.info   # release.json as a dict
    release.tables()                              # ['dim_gemeente', 'hermelding_regio_periode_openbaar', ...]
    release.table("hermelding_regio_periode_openbaar")        # a pandas DataFrame
    release.sql("select * from hermelding_regio_periode_openbaar where periode = '2025KW03'")

What it reads: a release folder (`<marts_dir>/releases/<id>/`, through the `marts` entries of its
release.json: `map` and `bestand`) and `<marts_dir>/bevriezingen.json` (quarter -> frozen release). Which
release is current is asked of `hermelding.publish.current_release`. It never opens the warehouse or the
build database, and it never writes: releases are immutable and `sql` runs on an in-memory DuckDB whose
views read that release's Parquet files; such a query can touch no other file (DuckDB's external access
is switched off except for the visible files, and locked). Unknown fields in release.json are ignored, so a newer release
format keeps working as long as the `marts` entries do.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from hermelding.config import CONFIG_FILE, Config, load_config
from hermelding.periode import normalise_kwartaal

PUBLIC = "openbaar"


class PeriodeGelezen(UserWarning):
    """A short period code in a query was read as the CBS code (e.g. '2025KW3' as '2025KW03')."""


class ReleaseNotFound(LookupError):
    """The asked-for release, quarter or table does not exist; the message says what does."""


@dataclass
class ReleaseView:
    """One published release, read-only. `intern` says whether internal marts are visible."""

    release_id: str
    path: Path
    info: dict[str, Any]
    intern: bool = False
    frozen_for: tuple[str, ...] = ()   # quarters whose official figures this release holds
    is_current: bool = False
    asked_quarter: str | None = None   # the quarter asked for with open_release(kwartaal=...)
    _con: duckdb.DuckDBPyConnection | None = field(default=None, repr=False)

    @property
    def tijd(self) -> str:
        """When the release was published (ISO 8601, UTC)."""
        return self.info.get("tijd", "")

    @property
    def is_frozen_for_asked_quarter(self) -> bool:
        return self.asked_quarter is not None and self.asked_quarter in self.frozen_for

    def _marts(self) -> dict[str, dict]:
        marts = self.info.get("marts") or {}
        return {naam: mart for naam, mart in marts.items()
                if isinstance(mart, dict) and "bestand" in mart and (self.intern or mart.get("map") == PUBLIC)}

    def tables(self) -> list[str]:
        """The tables this view may read (public ones only unless opened with intern=True), sorted."""
        return sorted(self._marts())

    def file(self, name: str) -> Path:
        """The Parquet file of a table."""
        marts = self._marts()
        if name not in marts:
            verborgen = name in (self.info.get("marts") or {})
            raise ReleaseNotFound(
                f"Table '{name}' is internal: open the release with intern=True if you are allowed to see it."
                if verborgen else
                f"Release {self.release_id} has no table '{name}'. Tables: {', '.join(self.tables())}.")
        return (self.path / marts[name]["bestand"]).resolve()

    def table(self, name: str) -> pd.DataFrame:
        """A whole table as a DataFrame (suppressed cells are missing values; their *_vlag says why)."""
        with duckdb.connect() as con:
            return con.execute("select * from read_parquet(?)", [str(self.file(name))]).df()

    def columns(self, name: str) -> pd.DataFrame:
        """Column names, types and their documentation (from the dbt docs stored in release.json)."""
        with duckdb.connect() as con:
            kolommen = con.execute("select column_name as kolom, column_type as type "
                                   "from (describe select * from read_parquet(?))", [str(self.file(name))]).df()
        docs = (self.info.get("documentatie") or {}).get(name, {}).get("kolommen", {})
        kolommen["beschrijving"] = kolommen["kolom"].map(lambda k: (docs.get(k) or "").strip())
        return kolommen

    def connection(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB with one view per visible table, named as in the catalog
        (`openbaar.<table>`, `intern.<table>`) and also reachable unqualified."""
        if self._con is None:
            con = duckdb.connect()
            schemas = [PUBLIC] + (["intern"] if self.intern else [])
            for schema in schemas:
                con.execute(f"create schema if not exists {schema}")
            for naam, mart in self._marts().items():
                schema = mart.get("map") if mart.get("map") in schemas else PUBLIC
                pad = str(self.file(naam)).replace("'", "''")
                con.execute(f"create view {schema}.{naam} as select * from read_parquet('{pad}')")
            con.execute(f"set search_path = '{','.join(schemas)}'")
            # Read-only and no further than this view: the visible Parquet files are the only paths a query
            # may touch (no other file, no writes elsewhere, no internal file from a public view), and the
            # query cannot switch that off again.
            bestanden = ", ".join("'" + str(self.file(naam)).replace("'", "''") + "'" for naam in self._marts())
            con.execute(f"set allowed_paths = [{bestanden}]")
            con.execute("set enable_external_access = false")
            con.execute("set lock_configuration = true")
            self._con = con
        return self._con

    def sql(self, query: str, parameters: list | None = None) -> pd.DataFrame:
        """Run a query on this release and return a DataFrame. A string literal that is wholly a short period
        code ('2025KW3', '2025hj1', '2025JJ') is read as the CBS code, as `hermelding sql` does (one rule:
        hermelding.query.normalise_period_literals)."""
        from hermelding.query import normalise_period_literals  # query imports this module

        query, herschreven = normalise_period_literals(query)
        for kort, code in herschreven.items():  # as `hermelding sql` notes it: the reader sees what was asked
            warnings.warn(f"'{kort}' read as '{code}' (CBS period code).", PeriodeGelezen, stacklevel=2)
        return self.connection().execute(query, parameters or []).df()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> ReleaseView:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def _config(root: Path | str | Config | None) -> Config:
    """The configuration for a project root, a marts folder, or the project found from the working folder."""
    if isinstance(root, Config):
        return root
    if root is None:
        return load_config()
    root = Path(root).resolve()
    if (root / CONFIG_FILE).is_file():
        return load_config(root)
    return load_config().with_overrides(marts_dir=str(root))


def open_release(release: str | None = None, kwartaal: str | None = None, intern: bool = False,
                 root: Path | str | Config | None = None, fallback: bool = True) -> ReleaseView:
    """Open a release read-only.

    release   a release id; default the current release.
    kwartaal  a quarter ('2025KW3' or '2025KW03'): the release frozen for it. When none is frozen, the
              current release is returned with `is_frozen_for_asked_quarter` False (say so to your reader),
              or, with fallback=False, ReleaseNotFound is raised.
    intern    also show the internal marts (exact counts, per-melding rows); public only by default.
    root      the project folder (holding hermelding.toml), a marts folder, or a Config; default: the
              project found from the working folder (HERMELDING_* overrides apply).
    """
    from hermelding.publish import all_releases, current_release, frozen_quarters, read_release

    config = _config(root)
    marts_dir = config.marts_dir
    bevroren = frozen_quarters(config)
    gevraagd = normalise_kwartaal(kwartaal) if kwartaal else None
    huidig = current_release(config)
    if release and gevraagd:
        raise ValueError("Give either a release id or a quarter, not both.")
    if gevraagd and gevraagd in bevroren:
        release = bevroren[gevraagd]
    elif gevraagd and not fallback:
        raise ReleaseNotFound(f"No release is frozen for {gevraagd}. Frozen quarters: "
                              f"{', '.join(sorted(bevroren)) or 'none'} (`hermelding publiceer --bevries` freezes one).")
    release = release or huidig
    if not release:
        raise ReleaseNotFound(f"No release published yet in {marts_dir}: run `hermelding draai` first.")
    pad = marts_dir / "releases" / release
    if not (pad / "release.json").is_file():
        raise ReleaseNotFound(f"Release '{release}' does not exist in {marts_dir / 'releases'}. Releases: "
                              f"{', '.join(r.release_id for r in all_releases(config)) or 'none'} (`hermelding releases` lists them).")
    # the public description; with `intern` (and read access) completed with the exact figures
    info = read_release(config, release, intern=intern).info
    return ReleaseView(
        release_id=release, path=pad, info=info, intern=intern,
        frozen_for=tuple(sorted(k for k, v in bevroren.items() if v == release)),
        is_current=release == huidig, asked_quarter=gevraagd)
