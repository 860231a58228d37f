-- D4(a) intergenerationeel: of the persons appearing as adult (18+ in the year of the melding)
-- slachtoffer or pleger in a period, the share that appeared in an earlier melding as a minor (<18).
-- Region: municipality of the person's first such adult appearance in the period. Persons with an
-- unknown birth year are excluded and counted.
with optredens as (
    select * from {{ ref('int_optredens') }}
),

perioden as (
    select * from {{ ref('int_perioden') }} where periodesoort in ('halfjaar', 'jaar')
),

volwassen as (
    select o.persoon_id, perioden.periode, any_value(perioden.periodesoort) as periodesoort,
        arg_min(o.regio, o.datum_melding) as regio,
        arg_min(o.gemeentecode, o.datum_melding) as gemeentecode,
        min(o.datum_melding) as eerste_datum
    from optredens as o
    inner join perioden
        on perioden.regio = o.regio and o.datum_melding between perioden.periode_start and perioden.periode_eind
    where o.leeftijd >= 18 and o.rol in ('slachtoffer', 'pleger')
    group by o.persoon_id, perioden.periode
),

eerder_minderjarig as (
    select distinct v.persoon_id, v.periode
    from volwassen as v
    inner join optredens as o
        on o.persoon_id = v.persoon_id and o.leeftijd < 18 and o.datum_melding < v.eerste_datum
),

per_gemeente as (
    select v.regio, v.gemeentecode, v.periode, any_value(v.periodesoort) as periodesoort,
        count(*) as volwassen_personen,
        count(e.persoon_id) as eerder_als_minderjarige
    from volwassen as v
    left join eerder_minderjarig as e on e.persoon_id = v.persoon_id and e.periode = v.periode
    group by v.regio, v.gemeentecode, v.periode
),

kwaliteit as (
    select * from {{ ref('int_registratiekwaliteit') }}
),

basis as (
    select
        coalesce(p.regio, k.regio) as regio,
        coalesce(p.gemeentecode, k.gemeentecode) as gemeentecode,
        coalesce(p.periode, k.periode) as periode,
        coalesce(p.volwassen_personen, 0) as volwassen_personen,
        coalesce(p.eerder_als_minderjarige, 0) as eerder_als_minderjarige,
        coalesce(k.personen_onbekend_geboortejaar, 0) as uitgesloten_onbekend_geboortejaar
    from per_gemeente as p
    full outer join kwaliteit as k
        on k.regio = p.regio and k.gemeentecode = p.gemeentecode and k.periode = p.periode
),

niveaus as (
    {{ regio_niveaus('basis') }}
),

per_regio as (
    select regiotype, regiocode, periode,
        sum(volwassen_personen) as volwassen_personen,
        sum(eerder_als_minderjarige) as eerder_als_minderjarige,
        sum(uitgesloten_onbekend_geboortejaar) as uitgesloten_onbekend_geboortejaar
    from niveaus
    group by regiotype, regiocode, periode
)

select
    per_regio.regiotype,
    per_regio.regiocode,
    per_regio.periode,
    perioden_soort.periodesoort,
    cast(per_regio.volwassen_personen as bigint) as volwassen_personen,
    cast(per_regio.eerder_als_minderjarige as bigint) as eerder_als_minderjarige,
    case when per_regio.volwassen_personen > 0
        then 100.0 * per_regio.eerder_als_minderjarige / per_regio.volwassen_personen end as eerder_als_minderjarige_pct,
    {{ wilson_onder('per_regio.eerder_als_minderjarige', 'per_regio.volwassen_personen') }} as eerder_als_minderjarige_pct_ci_onder,
    {{ wilson_boven('per_regio.eerder_als_minderjarige', 'per_regio.volwassen_personen') }} as eerder_als_minderjarige_pct_ci_boven,
    cast(per_regio.uitgesloten_onbekend_geboortejaar as bigint) as uitgesloten_onbekend_geboortejaar,
    definities.definitie_id,
    definities.versie as definitie_versie
from per_regio
inner join (select distinct periode, periodesoort from perioden) as perioden_soort
    on perioden_soort.periode = per_regio.periode
cross join (select * from {{ ref('definities') }} where definitie_id = 'intergenerationeel') as definities
