-- Baseline for the benchmark: the D1 classification (CBS 85361NED, look-back :lookback months) and the
-- counts of hermelding_regio_periode per municipality and half year, as ONE hand-written DuckDB script
-- straight from the delivery files. No ingest, no dbt, no checks: the fastest honest way to the same
-- figures, against which the pipeline is measured. Written independently of the dbt model, from the
-- definition in dbt_project/models/intermediate/_intermediate__models.yml.
--
-- Assumes clean deliveries (the generator without --fouten): every folder under :raw is the current
-- delivery of its region and period, dates are YYYY-MM-DD, municipality codes GM####.
-- Parameters (replaced by benchmarks/run.py): :raw (the deliveries folder), :lookback (months), :gemeenten
-- (the municipality seed: figures are counted in the latest municipal layout, column opvolger).

create or replace temp table bl_meldingen as
select
    regexp_extract(filename, '(VT[0-9]{2})_[0-9]{4}[A-Z]{2}[0-9]{2}', 1) as regio,
    melding_id,
    casus_id,
    cast(datum_melding as date) as datum_melding,
    gemeentecode
from read_csv(':raw/VT*_*/meldingen.csv', all_varchar = true, filename = true);

create or replace temp table bl_casussen as
select regio, casus_id, datum_start, datum_veiligheidsbeoordeling, datum_start_monitoring, datum_afsluiting
from (
    select
        regexp_extract(filename, '(VT[0-9]{2})_[0-9]{4}[A-Z]{2}[0-9]{2}', 1) as regio,
        regexp_extract(filename, 'VT[0-9]{2}_([0-9]{4}[A-Z]{2}[0-9]{2})', 1) as periode,
        casus_id,
        cast(nullif(datum_start, '') as date) as datum_start,
        cast(nullif(datum_veiligheidsbeoordeling, '') as date) as datum_veiligheidsbeoordeling,
        cast(nullif(datum_start_monitoring, '') as date) as datum_start_monitoring,
        cast(nullif(datum_afsluiting, '') as date) as datum_afsluiting
    from read_csv(':raw/VT*_*/casussen.csv', all_varchar = true, filename = true)
)
-- the row of the latest delivery wins (period codes of one kind sort by time)
qualify row_number() over (partition by regio, casus_id order by periode desc) = 1;

create or replace temp table bl_personen as
select distinct
    regexp_extract(filename, '(VT[0-9]{2})_[0-9]{4}[A-Z]{2}[0-9]{2}', 1) as regio,
    melding_id,
    persoon_id
from read_csv(':raw/VT*_*/betrokkenen.csv', all_varchar = true, filename = true);

create or replace temp table bl_melding as
select
    m.*,
    c.datum_start,
    c.datum_veiligheidsbeoordeling,
    c.datum_start_monitoring,
    c.datum_afsluiting,
    (m.datum_melding, m.melding_id) = min((m.datum_melding, m.melding_id)) over (partition by m.regio, m.casus_id)
        and coalesce(c.datum_start >= m.datum_melding, true) as eerste
from bl_meldingen as m
left join bl_casussen as c using (regio, casus_id);

-- per person: every casus they appeared in, with its closure and their first appearance in it
create or replace temp table bl_betrokkenheid as
select p.regio, p.persoon_id, m.casus_id, min(m.datum_melding) as eerst_gezien, any_value(m.datum_afsluiting) as afsluiting
from bl_personen as p
inner join bl_melding as m using (regio, melding_id)
group by p.regio, p.persoon_id, m.casus_id;

create or replace temp table bl_bekend as
select
    e.regio,
    e.melding_id,
    count(distinct p.persoon_id) filter (
        where b.afsluiting < e.datum_melding
          and (:lookback = 0 or b.afsluiting >= e.datum_melding - to_months(:lookback))
    ) as bekend,
    coalesce(bool_or(b.eerst_gezien <= e.datum_melding
                     and (b.afsluiting is null or b.afsluiting >= e.datum_melding)), false) as open_elders
from bl_melding as e
inner join bl_personen as p using (regio, melding_id)
inner join bl_betrokkenheid as b on b.regio = p.regio and b.persoon_id = p.persoon_id and b.casus_id <> e.casus_id
where e.eerste
group by e.regio, e.melding_id;

create or replace temp table bl_klassen as
select
    m.regio,
    m.melding_id,
    m.gemeentecode,
    m.datum_melding,
    case
        when not m.eerste and m.datum_afsluiting < m.datum_melding then 'niet_ingedeeld'
        when not m.eerste then 'vervolgmelding'
        when n.aantal is null then 'niet_ingedeeld'
        when coalesce(k.bekend, 0) > 0 then 'hermelding'
        when k.open_elders then 'niet_ingedeeld'
        else 'eerste_melding'
    end as klasse,
    case
        when not m.eerste and m.datum_afsluiting < m.datum_melding then null
        when not m.eerste and (m.datum_veiligheidsbeoordeling is null or m.datum_veiligheidsbeoordeling > m.datum_melding)
            then 'tijdens_veiligheidsbeoordeling'
        when not m.eerste and m.datum_start_monitoring <= m.datum_melding then 'tijdens_monitoring'
        when not m.eerste then 'na_veiligheidsbeoordeling'
        when n.aantal is not null and k.bekend = 1 then 'een_betrokkene_bekend'
        when n.aantal is not null and k.bekend > 1 then 'meerdere_betrokkenen_bekend'
    end as subklasse
from bl_melding as m
left join (select regio, melding_id, count(*) as aantal from bl_personen group by all) as n using (regio, melding_id)
left join bl_bekend as k using (regio, melding_id);

create or replace temp table bl_tellingen as
select
    coalesce(g.opvolger, k.gemeentecode) as regiocode,
    year(datum_melding) || 'HJ0' || (case when month(datum_melding) <= 6 then 1 else 2 end) as periode,
    count(*) as meldingen,
    count(*) filter (where klasse = 'eerste_melding') as eerste_melding,
    count(*) filter (where klasse = 'hermelding') as hermelding,
    count(*) filter (where subklasse = 'een_betrokkene_bekend') as hermelding_een_bekend,
    count(*) filter (where subklasse = 'meerdere_betrokkenen_bekend') as hermelding_meerdere_bekend,
    count(*) filter (where klasse = 'vervolgmelding') as vervolgmelding,
    count(*) filter (where subklasse = 'tijdens_veiligheidsbeoordeling') as vervolg_tijdens_vb,
    count(*) filter (where subklasse = 'na_veiligheidsbeoordeling') as vervolg_na_vb,
    count(*) filter (where subklasse = 'tijdens_monitoring') as vervolg_tijdens_monitoring,
    count(*) filter (where klasse = 'niet_ingedeeld') as niet_ingedeeld
from bl_klassen as k
left join read_csv(':gemeenten', all_varchar = true) as g on g.gemeentecode = k.gemeentecode
group by all;
