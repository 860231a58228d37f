-- Follow-up subjects of the prospective definitions D2, D3 and D4(b): one row per cohort member per
-- cohort period (half year and year), with the time in days to the event or to censoring at the
-- region's data end, and whether the event happened. The definitions' one home; herhaling_cohort
-- turns these rows into Kaplan-Meier figures.
with meldingen as (
    select * from {{ ref('stg_ingest__meldingen') }}
),

casussen as (
    select * from {{ ref('stg_ingest__casussen') }}
),

perioden as (
    select * from {{ ref('int_perioden') }} where periodesoort in ('halfjaar', 'jaar')
),

gegevens_eind as (
    select * from {{ ref('int_gegevens_eind') }}
),

optredens as (
    select * from {{ ref('int_optredens') }}
),

-- D2 herhaalde_melding: casussen closed in the period; region = municipality of the casus' first melding
casus_gemeente as (
    select regio, casus_id, arg_min(gemeentecode, datum_melding) as gemeentecode
    from meldingen
    group by regio, casus_id
),

d2_cohort as (
    select casussen.regio, casussen.casus_id, casussen.datum_afsluiting as index_datum,
        casus_gemeente.gemeentecode, perioden.periode, perioden.periodesoort
    from casussen
    inner join casus_gemeente on casus_gemeente.regio = casussen.regio and casus_gemeente.casus_id = casussen.casus_id
    inner join perioden
        on perioden.regio = casussen.regio
        and casussen.datum_afsluiting between perioden.periode_start and perioden.periode_eind
),

d2_personen as (
    select distinct regio, casus_id, persoon_id from optredens
),

d2_gebeurtenis as (
    select d2_cohort.regio, d2_cohort.casus_id, d2_cohort.periode, min(later.datum_melding) as gebeurtenis_datum
    from d2_cohort
    inner join d2_personen on d2_personen.regio = d2_cohort.regio and d2_personen.casus_id = d2_cohort.casus_id
    inner join optredens as later
        on later.persoon_id = d2_personen.persoon_id
        and not (later.regio = d2_cohort.regio and later.casus_id = d2_cohort.casus_id)
        and later.datum_melding > d2_cohort.index_datum
    group by d2_cohort.regio, d2_cohort.casus_id, d2_cohort.periode
),

d2 as (
    select 'herhaalde_melding' as definitie_id, c.regio, c.gemeentecode, c.periode, c.periodesoort,
        c.casus_id as subject_id, c.index_datum, g.gebeurtenis_datum
    from d2_cohort as c
    left join d2_gebeurtenis as g on g.regio = c.regio and g.casus_id = c.casus_id and g.periode = c.periode
),

-- D3 recidive_pleger: persons registered as pleger in the period; index = their first such melding
d3_cohort as (
    select o.persoon_id, perioden.periode, perioden.periodesoort,
        arg_min(o.regio, o.datum_melding) as regio,
        arg_min(o.gemeentecode, o.datum_melding) as gemeentecode,
        arg_min(o.casus_id, o.datum_melding) as casus_id,
        min(o.datum_melding) as index_datum
    from optredens as o
    inner join perioden
        on perioden.regio = o.regio and o.datum_melding between perioden.periode_start and perioden.periode_eind
    where o.rol = 'pleger'
    group by o.persoon_id, perioden.periode, perioden.periodesoort
),

-- inner join first, then attach: a left join with these non-equality conditions is not hashable
d3_gebeurtenis as (
    select c.persoon_id, c.periode, min(later.datum_melding) as gebeurtenis_datum
    from d3_cohort as c
    inner join optredens as later
        on later.persoon_id = c.persoon_id
        and later.rol = 'pleger'
        and later.datum_melding > c.index_datum
        and not (later.regio = c.regio and later.casus_id = c.casus_id)
    group by c.persoon_id, c.periode
),

d3 as (
    select 'recidive_pleger' as definitie_id, c.regio, c.gemeentecode, c.periode, c.periodesoort,
        c.persoon_id as subject_id, c.index_datum, g.gebeurtenis_datum
    from d3_cohort as c
    left join d3_gebeurtenis as g on g.persoon_id = c.persoon_id and g.periode = c.periode
),

-- D4(b) intergenerationeel: persons seen as minors aged 12-17 in the period; event: a later
-- appearance as adult (18+) slachtoffer or pleger. Unknown birth year: excluded (counted in the mart).
d4_cohort as (
    select o.persoon_id, perioden.periode, perioden.periodesoort,
        arg_min(o.regio, o.datum_melding) as regio,
        arg_min(o.gemeentecode, o.datum_melding) as gemeentecode,
        min(o.datum_melding) as index_datum
    from optredens as o
    inner join perioden
        on perioden.regio = o.regio and o.datum_melding between perioden.periode_start and perioden.periode_eind
    where o.leeftijd between 12 and 17
    group by o.persoon_id, perioden.periode, perioden.periodesoort
),

d4_gebeurtenis as (
    select c.persoon_id, c.periode, min(later.datum_melding) as gebeurtenis_datum
    from d4_cohort as c
    inner join optredens as later
        on later.persoon_id = c.persoon_id
        and later.leeftijd >= 18
        and later.rol in ('slachtoffer', 'pleger')
        and later.datum_melding > c.index_datum
    group by c.persoon_id, c.periode
),

d4 as (
    select 'intergenerationeel' as definitie_id, c.regio, c.gemeentecode, c.periode, c.periodesoort,
        c.persoon_id as subject_id, c.index_datum, g.gebeurtenis_datum
    from d4_cohort as c
    left join d4_gebeurtenis as g on g.persoon_id = c.persoon_id and g.periode = c.periode
),

alle as (
    select * from d2
    union all select * from d3
    union all select * from d4
)

select
    alle.definitie_id,
    alle.regio,
    alle.gemeentecode,
    alle.periode,
    alle.periodesoort,
    alle.subject_id,
    alle.index_datum,
    gegevens_eind.gegevens_eind,
    case when alle.gebeurtenis_datum <= gegevens_eind.gegevens_eind then 1 else 0 end as gebeurtenis,
    case when alle.gebeurtenis_datum <= gegevens_eind.gegevens_eind
        then alle.gebeurtenis_datum - alle.index_datum
        else gegevens_eind.gegevens_eind - alle.index_datum
    end as tijd_dagen
from alle
inner join gegevens_eind on gegevens_eind.regio = alle.regio
