"""Set-based row validation of one delivery in DuckDB.

Input: temp tables `ruw_<soort>` (all VARCHAR, plus `regel`, the line number in the file).
Output: temp tables `schoon_<soort>` (typed rows that pass every rule) and `overtredingen`
(one row per rule a row breaks). Order matters: casussen, then meldingen (need a valid casus),
then betrokkenen (need a valid melding), so a quarantined parent quarantines its children too.
"""

from __future__ import annotations

import duckdb

from hermelding.contract import DATUMFORMATEN, KOLOMMEN

WAREHOUSE_DDL = """
create schema if not exists ingest;
create table if not exists ingest.leveringen (
    levering_id varchar primary key,
    map varchar not null,
    regio varchar,
    periode varchar,
    periode_start date,
    periode_eind date,
    inhoud_sha256 varchar not null,
    ingelezen_op timestamp not null,
    uitkomst varchar not null,          -- geladen | afgewezen
    reden varchar,
    is_actueel boolean not null,
    vervangt varchar                    -- the levering_id this correction replaced
);
-- the scope of persoon_id the delivery declared (levering.toml): regio | landelijk
alter table ingest.leveringen add column if not exists persoon_scope varchar default 'regio';
-- regulier, or historie: older meldingen that only fill the look-back (folder <regio>_<periode>_historie)
alter table ingest.leveringen add column if not exists leveringsoort varchar default 'regulier';
create table if not exists ingest.leveringsbestanden (
    levering_id varchar not null,
    bestandssoort varchar not null,
    bestandsnaam varchar not null,
    bytes bigint,
    sha256 varchar,
    rijen_gelezen bigint,
    rijen_geladen bigint,
    rijen_quarantaine bigint,
    extra_kolommen varchar[]
);
create table if not exists ingest.casussen (
    levering_id varchar not null, regel bigint not null, casus_id varchar not null,
    datum_start date not null, datum_veiligheidsbeoordeling date, datum_start_monitoring date,
    datum_afsluiting date, besluit varchar not null
);
create table if not exists ingest.meldingen (
    levering_id varchar not null, regel bigint not null, melding_id varchar not null,
    casus_id varchar not null, datum_melding date not null, gemeentecode varchar not null,
    aard_geweld varchar[] not null, melder varchar not null
);
create table if not exists ingest.betrokkenen (
    levering_id varchar not null, regel bigint not null, melding_id varchar not null,
    persoon_id varchar not null, rol varchar not null, geslacht varchar, geboortejaar smallint
);
create table if not exists ingest.quarantaine (
    levering_id varchar not null, bestandssoort varchar not null, bestandsnaam varchar not null,
    regel bigint not null, kolom varchar not null, regelcode varchar not null, waarde varchar
);
create table if not exists ingest.waarschuwingen (
    levering_id varchar not null, bestandssoort varchar, controle varchar not null, toelichting varchar
);
"""

_FORMATS = ", ".join(f"try_strptime(s, '{f}')" for f in DATUMFORMATEN)
MACROS = f"""
create or replace temp macro parse_datum(s) as cast(coalesce({_FORMATS}) as date);
create or replace temp macro elfproef(s) as (
    9 * cast(s[1] as int) + 8 * cast(s[2] as int) + 7 * cast(s[3] as int) + 6 * cast(s[4] as int)
    + 5 * cast(s[5] as int) + 4 * cast(s[6] as int) + 3 * cast(s[7] as int) + 2 * cast(s[8] as int)
    - cast(s[9] as int)) % 11 = 0;
create or replace temp macro bsn_cijfers(s) as case
    when regexp_full_match(trim(s), '[0-9]+([.,][0-9]+)?[eE][+]?[0-9]+')
        then cast(cast(try_cast(replace(trim(s), ',', '.') as double) as hugeint) as varchar)
    when regexp_full_match(trim(s), '[0-9]+[.,]0+') then regexp_extract(trim(s), '^[0-9]+')
    else regexp_replace(trim(s), '[[:space:].-]', '', 'g') end;
create or replace temp macro datumvorm(s) as
    regexp_full_match(trim(s), '[0-9]{{4}}[-/.][0-9]{{1,2}}[-/.][0-9]{{1,2}}|[0-9]{{1,2}}[-/.][0-9]{{1,2}}[-/.][0-9]{{4}}');
create or replace temp macro lijkt_datum(s) as
    datumvorm(s)
    or (regexp_full_match(trim(s), '[0-9]{{8}}')
        and (year(try_strptime(trim(s), '%Y%m%d')) between 1900 and 2100
             or year(try_strptime(trim(s), '%d%m%Y')) between 1900 and 2100));
create or replace temp macro bsn_kandidaat(c) as
    regexp_full_match(c, '[0-9]{{8,9}}') and lpad(c, 9, '0') <> '000000000' and elfproef(lpad(c, 9, '0'));
create or replace temp macro lijkt_bsn(s) as
    bsn_kandidaat(bsn_cijfers(s)) and not coalesce(lijkt_datum(s), false);
create or replace temp macro norm_gemeente(s) as case
    when regexp_full_match(regexp_replace(upper(trim(s)), '^GM', ''), '[0-9]{{1,4}}')
    then 'GM' || lpad(regexp_replace(upper(trim(s)), '^GM', ''), 4, '0') end;
"""


def bsn_telling(con: duckdb.DuckDBPyConnection, tabel: str) -> list[tuple[str, int]]:
    """(column, number of values) of values that are a BSN once spaces, dots and dashes are removed and a
    lost leading zero is put back (8 or 9 digits passing the eleven-test; date-shaped values excepted);
    never the values."""
    return con.execute(f"""
        with kandidaten as materialized (  -- cheap filters first: most values are ids, codes and dates
            select kolom, waarde, bsn_cijfers(waarde) as cijfers
            from (unpivot {tabel} on columns(* exclude (regel)) into name kolom value waarde)
            where length(waarde) between 8 and 40 and regexp_full_match(waarde, '[0-9[:space:].,eE+-]+')
              and not datumvorm(waarde)
        )
        select kolom, count(*) as n from kandidaten  -- the same test as lijkt_bsn, each step once per value
        where bsn_kandidaat(cijfers) and not coalesce(lijkt_datum(waarde), false)
        group by kolom order by kolom
    """).fetchall()


def valideer(con: duckdb.DuckDBPyConnection, regio: str, periode_start, periode_eind) -> None:
    """Build schoon_* and overtredingen for the ruw_* tables of one delivery (MACROS installed by the caller)."""
    params = {"regio": regio, "start": periode_start, "eind": periode_eind, "jaar": periode_eind.year}
    # Rows of other current deliveries of this region (a correction's predecessor is not one of them).
    con.execute("""
        create or replace temp table actueel_regio as
        select levering_id from ingest.leveringen
        where regio = $regio and is_actueel and uitkomst = 'geladen' and periode_start <> $start
    """, {"regio": regio, "start": periode_start})

    # --- every file: a contract value with a control character (NUL, newline, ...) -----------
    # Stored with the characters shown as '?', so the quarantine itself holds printable text only.
    con.execute("create or replace temp table overtredingen (bestandssoort varchar, regel bigint, kolom varchar, "
                "regelcode varchar, waarde varchar)")
    for soort, kolommen in KOLOMMEN.items():
        con.execute(rf"""
            insert into overtredingen
            select '{soort}', regel, kolom, 'ongeldig_teken', regexp_replace(waarde, '[\x00-\x1f\x7f]', '?', 'g')
            from (unpivot (select regel, {", ".join(kolommen)} from ruw_{soort})
                  on {", ".join(kolommen)} into name kolom value waarde)
            where regexp_matches(waarde, '[\x00-\x1f\x7f]')
        """)

    # --- casussen --------------------------------------------------------------------------
    con.execute("""
        create or replace temp table p_casussen as
        select regel, trim(casus_id) as casus_id,
            trim(datum_start) as t_start, parse_datum(trim(datum_start)) as d_start,
            trim(datum_veiligheidsbeoordeling) as t_vb, parse_datum(trim(datum_veiligheidsbeoordeling)) as d_vb,
            trim(datum_start_monitoring) as t_mon, parse_datum(trim(datum_start_monitoring)) as d_mon,
            trim(datum_afsluiting) as t_afs, parse_datum(trim(datum_afsluiting)) as d_afs,
            lower(trim(besluit)) as besluit,
            row_number() over (partition by trim(casus_id) order by regel) as nr
        from ruw_casussen
    """)
    con.execute("""
        insert into overtredingen
        select 'casussen' as bestandssoort, regel, 'casus_id' as kolom, 'verplicht' as regelcode, casus_id as waarde
            from p_casussen where casus_id = ''
        union all select 'casussen', regel, 'datum_start', 'verplicht', t_start from p_casussen where t_start = ''
        union all select 'casussen', regel, kolom, 'datum_ongeldig', tekst from (
            select regel, 'datum_start' as kolom, t_start as tekst, d_start as d from p_casussen
            union all select regel, 'datum_veiligheidsbeoordeling', t_vb, d_vb from p_casussen
            union all select regel, 'datum_start_monitoring', t_mon, d_mon from p_casussen
            union all select regel, 'datum_afsluiting', t_afs, d_afs from p_casussen
        ) where tekst <> '' and d is null
        union all select 'casussen', regel, kolom, 'datum_na_periode', cast(d as varchar) from (
            select regel, 'datum_start' as kolom, d_start as d from p_casussen
            union all select regel, 'datum_veiligheidsbeoordeling', d_vb from p_casussen
            union all select regel, 'datum_start_monitoring', d_mon from p_casussen
            union all select regel, 'datum_afsluiting', d_afs from p_casussen
        ) where d > $eind
        union all select 'casussen', regel, kolom, 'datum_volgorde', cast(d as varchar) from (
            select regel, 'datum_veiligheidsbeoordeling' as kolom, d_vb as d, d_start as eerder from p_casussen
            union all select regel, 'datum_start_monitoring', d_mon, greatest(d_start, d_vb) from p_casussen
            union all select regel, 'datum_afsluiting', d_afs, greatest(d_start, d_vb, d_mon) from p_casussen
        ) where d < eerder
        union all select 'casussen', regel, 'besluit', 'code_onbekend', besluit from p_casussen
            where besluit not in (select code from codelijst where lijst = 'besluit')
        union all select 'casussen', regel, 'casus_id', 'dubbel_id', casus_id from p_casussen
            where nr > 1 and casus_id <> ''
    """, {"eind": periode_eind})
    con.execute("""
        create or replace temp table schoon_casussen as
        select regel, casus_id, d_start as datum_start, d_vb as datum_veiligheidsbeoordeling,
            d_mon as datum_start_monitoring, d_afs as datum_afsluiting, besluit
        from p_casussen
        where regel not in (select regel from overtredingen where bestandssoort = 'casussen')
    """)

    # --- meldingen -------------------------------------------------------------------------
    con.execute("""
        create or replace temp table p_meldingen as
        select regel, trim(melding_id) as melding_id, trim(casus_id) as casus_id,
            trim(datum_melding) as t_datum, parse_datum(trim(datum_melding)) as d_datum,
            trim(gemeentecode) as t_gemeente, norm_gemeente(gemeentecode) as gemeentecode,
            list_filter(list_transform(string_split(lower(trim(aard_geweld)), '|'), x -> trim(x)),
                        x -> x <> '') as aard,
            trim(melder) as t_melder,
            case when regexp_full_match(trim(melder), '[0-9]{1,2}') then lpad(trim(melder), 2, '0') end as melder,
            row_number() over (partition by trim(melding_id) order by regel) as nr
        from ruw_meldingen
    """)
    con.execute("""
        insert into overtredingen
        select 'meldingen', regel, kolom, 'verplicht', '' from (
            select regel, 'melding_id' as kolom, melding_id as t from p_meldingen
            union all select regel, 'casus_id', casus_id from p_meldingen
            union all select regel, 'datum_melding', t_datum from p_meldingen
            union all select regel, 'gemeentecode', t_gemeente from p_meldingen
            union all select regel, 'melder', t_melder from p_meldingen
        ) where t = ''
        union all select 'meldingen', regel, 'datum_melding', 'datum_ongeldig', t_datum from p_meldingen
            where t_datum <> '' and d_datum is null
        union all select 'meldingen', regel, 'datum_melding', 'datum_buiten_periode', t_datum from p_meldingen
            where d_datum not between $start and $eind
        union all select 'meldingen', regel, 'gemeentecode', 'gemeente_onbekend', t_gemeente from p_meldingen
            where t_gemeente <> '' and not exists (
                select 1 from gemeente_ref as g
                where g.gemeentecode = p_meldingen.gemeentecode and g.vt_regio = $regio
                  -- valid on the melding's date (an empty geldig_van / geldig_tot: since before 2019 / still valid)
                  and (p_meldingen.d_datum is null or p_meldingen.d_datum
                       between coalesce(try_cast(g.geldig_van as date), date '0001-01-01')
                           and coalesce(try_cast(g.geldig_tot as date), date '9999-12-31')))
        union all select 'meldingen', regel, 'melder', 'code_onbekend', t_melder from p_meldingen
            where t_melder <> '' and (melder is null
                  or melder not in (select code from codelijst where lijst = 'melder'))
        union all select 'meldingen', regel, 'aard_geweld', 'code_onbekend', array_to_string(aard, '|')
            from p_meldingen, (select list(code) as codes from codelijst where lijst = 'aard_geweld') as ref
            where len(list_filter(aard, x -> not list_contains(ref.codes, x))) > 0
        union all select 'meldingen', regel, 'melding_id', 'dubbel_id', melding_id from p_meldingen
            where melding_id <> '' and (nr > 1 or melding_id in (
                select melding_id from ingest.meldingen where levering_id in (select levering_id from actueel_regio)))
        union all select 'meldingen', regel, 'casus_id', 'casus_onbekend', casus_id from p_meldingen
            where casus_id <> ''
              and casus_id not in (select casus_id from schoon_casussen)
              and casus_id not in (select casus_id from ingest.casussen
                                   where levering_id in (select levering_id from actueel_regio))
    """, {"start": periode_start, "eind": periode_eind, "regio": regio})
    con.execute("""
        create or replace temp table schoon_meldingen as
        select regel, melding_id, casus_id, d_datum as datum_melding, gemeentecode,
            case when len(aard) = 0 then ['onbekend'] else list_sort(list_distinct(aard)) end as aard_geweld,
            melder
        from p_meldingen
        where regel not in (select regel from overtredingen where bestandssoort = 'meldingen')
    """)

    # --- betrokkenen -----------------------------------------------------------------------
    con.execute("""
        create or replace temp table p_betrokkenen as
        select regel, trim(melding_id) as melding_id, trim(persoon_id) as persoon_id,
            coalesce(nullif(lower(trim(rol)), ''), 'onbekend') as rol,
            nullif(upper(trim(geslacht)), '') as geslacht,
            trim(geboortejaar) as t_jaar, try_cast(trim(geboortejaar) as integer) as geboortejaar,
            row_number() over (partition by trim(persoon_id), trim(melding_id) order by regel) as nr
        from ruw_betrokkenen
    """)
    con.execute("""
        insert into overtredingen
        select 'betrokkenen', regel, kolom, 'verplicht', '' from (
            select regel, 'melding_id' as kolom, melding_id as t from p_betrokkenen
            union all select regel, 'persoon_id', persoon_id from p_betrokkenen
        ) where t = ''
        union all select 'betrokkenen', regel, 'melding_id', 'melding_onbekend', melding_id from p_betrokkenen
            where melding_id <> '' and melding_id not in (select melding_id from schoon_meldingen)
        union all select 'betrokkenen', regel, 'rol', 'code_onbekend', rol from p_betrokkenen
            where rol not in (select code from codelijst where lijst = 'rol')
        union all select 'betrokkenen', regel, 'geslacht', 'code_onbekend', geslacht from p_betrokkenen
            where geslacht not in (select code from codelijst where lijst = 'geslacht')
        union all select 'betrokkenen', regel, 'geboortejaar', 'geboortejaar_ongeldig', t_jaar from p_betrokkenen
            where t_jaar <> '' and (geboortejaar is null or geboortejaar not between 1900 and $jaar)
        union all select 'betrokkenen', regel, 'persoon_id', 'dubbel_id', persoon_id from p_betrokkenen
            where nr > 1 and persoon_id <> '' and melding_id <> ''
    """, {"jaar": params["jaar"]})
    con.execute("""
        create or replace temp table schoon_betrokkenen as
        select regel, melding_id, persoon_id, rol, geslacht, cast(geboortejaar as smallint) as geboortejaar
        from p_betrokkenen
        where regel not in (select regel from overtredingen where bestandssoort = 'betrokkenen')
    """)
