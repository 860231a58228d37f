-- D1 per region (each municipality, the Veilig Thuis region, everything) x period (quarter, half
-- year, year): counts per class and subclass, percentages with a Wilson 95% interval, rates per
-- 1,000 inhabitants where a population exists.
{% set tellingen = d1_tellingen() %}

with gemeente_perioden as (
    select * from {{ ref('int_gemeente_perioden') }}
),

gemeenten as (
    select * from {{ ref('gemeenten') }}
),

-- population per year in the latest municipal layout (each year's figure is in that year's layout):
-- summed over the codes that went into each municipality
bevolking as (
    select gemeenten.opvolger as gemeentecode, bevolking_per_code.jaar, sum(bevolking_per_code.inwoners) as inwoners
    from {{ ref('stg_referentie__bevolking') }} as bevolking_per_code
    inner join gemeenten on gemeenten.gemeentecode = bevolking_per_code.gemeentecode
    group by gemeenten.opvolger, bevolking_per_code.jaar
),

regios as (
    select * from {{ ref('dim_regio') }}
),

definitie as (
    select * from {{ ref('definities') }} where definitie_id = 'eerdere_betrokkenheid'
),

met_bevolking as (
    select gemeente_perioden.*, bevolking.inwoners
    from gemeente_perioden
    left join bevolking
        on bevolking.gemeentecode = gemeente_perioden.gemeentecode and bevolking.jaar = gemeente_perioden.jaar
),

niveaus as (
    {{ regio_niveaus('met_bevolking', uitsluiten=['regio', 'gemeentecode']) }}
),

per_regio as (
    select
        regiotype,
        regiocode,
        periode,
        any_value(periodesoort) as periodesoort,
        any_value(periode_start) as periode_start,
        any_value(periode_eind) as periode_eind,
        bool_and(periode_compleet) as periode_compleet,
        bool_and(lookback_volledig) as lookback_volledig,
        {% for kolom in tellingen %}
        sum({{ kolom }}) as {{ kolom }},
        {% endfor %}
        -- a rate only where every municipality of the region has a population figure
        case when count(inwoners) = count(*) then sum(inwoners) end as inwoners
    from niveaus
    group by regiotype, regiocode, periode
)

select
    per_regio.regiotype,
    per_regio.regiocode,
    case per_regio.regiotype
        when 'gemeente' then gemeenten.gemeentenaam
        else coalesce(
            (select regios.regionaam from regios where regios.regiocode = per_regio.regiocode),
            per_regio.regiocode)
    end as regionaam,
    per_regio.periode,
    per_regio.periodesoort,
    per_regio.periode_start,
    per_regio.periode_eind,
    per_regio.periode_compleet,
    per_regio.lookback_volledig,
    {% for kolom in tellingen %}
    cast(per_regio.{{ kolom }} as bigint) as {{ kolom }},
    {% endfor %}
    case when per_regio.meldingen > 0 then 100.0 * per_regio.hermelding / per_regio.meldingen end as hermelding_pct,
    {{ wilson_onder('per_regio.hermelding', 'per_regio.meldingen') }} as hermelding_pct_ci_onder,
    {{ wilson_boven('per_regio.hermelding', 'per_regio.meldingen') }} as hermelding_pct_ci_boven,
    case when per_regio.meldingen > 0 then 100.0 * per_regio.vervolgmelding / per_regio.meldingen end
        as vervolgmelding_pct,
    cast(per_regio.inwoners as bigint) as inwoners,
    -- not annualised: the meldingen of this period (quarter, half year or year) per 1,000 inhabitants on
    -- 1 January of its year
    case when per_regio.inwoners > 0 then 1000.0 * per_regio.meldingen / per_regio.inwoners end
        as meldingen_per_1000_inwoners,
    definitie.definitie_id,
    definitie.versie as definitie_versie,
    {{ var('lookback_maanden') if var('lookback_maanden') else 'null' }} as lookback_maanden
from per_regio
left join gemeenten on per_regio.regiotype = 'gemeente' and gemeenten.gemeentecode = per_regio.regiocode
cross join definitie
