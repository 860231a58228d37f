-- Reporting periods (quarter, half year, year) spanning the delivered data, and per region whether
-- each period is complete (every day of it covered by a current delivery), whether its look-backs are complete
-- (D1: lookback_maanden, D4(a): historie_intergenerationeel_maanden, counted from the region's first delivered
-- day) and whether it holds history (a day delivered by a history delivery: feeds look-backs, never published).
{% set lookback = var('lookback_maanden') %}
{% set historie_d4 = var('historie_intergenerationeel_maanden') %}

with leveringen as (
    select * from {{ ref('int_leveringen_actueel') }}
),

jaren as (
    select unnest(range(
        (select min(year(periode_start)) from leveringen),
        (select max(year(periode_eind)) from leveringen) + 1)) as jaar
),

perioden as (
    select jaar || 'KW0' || k as periode, 'kwartaal' as periodesoort, jaar,
        make_date(jaar, 3 * k - 2, 1) as periode_start,
        cast(make_date(jaar, 3 * k - 2, 1) + interval 3 month - interval 1 day as date) as periode_eind
    from jaren, range(1, 5) as t(k)
    union all
    select jaar || 'HJ0' || h, 'halfjaar', jaar,
        make_date(jaar, 6 * h - 5, 1),
        cast(make_date(jaar, 6 * h - 5, 1) + interval 6 month - interval 1 day as date)
    from jaren, range(1, 3) as t(h)
    union all
    select jaar || 'JJ00', 'jaar', jaar, make_date(jaar, 1, 1), make_date(jaar, 12, 31)
    from jaren
),

dekking as (
    select
        perioden.periode,
        leveringen.regio,
        sum(least(leveringen.periode_eind, perioden.periode_eind)
            - greatest(leveringen.periode_start, perioden.periode_start) + 1) as dagen_geleverd,
        sum(least(leveringen.periode_eind, perioden.periode_eind)
            - greatest(leveringen.periode_start, perioden.periode_start) + 1)
            filter (where leveringen.leveringsoort = 'historie') as dagen_historie
    from perioden
    inner join leveringen
        on leveringen.periode_start <= perioden.periode_eind
        and leveringen.periode_eind >= perioden.periode_start
    group by perioden.periode, leveringen.regio
),

regios as (
    select regio, min(periode_start) as gegevens_start from leveringen group by regio
)

select
    regios.regio,
    perioden.periode,
    perioden.periodesoort,
    perioden.jaar,
    perioden.periode_start,
    perioden.periode_eind,
    coalesce(dekking.dagen_geleverd, 0) = perioden.periode_eind - perioden.periode_start + 1 as periode_compleet,
    -- the whole look-back before the period's first day lies within the region's data (unlimited: never)
    {% if lookback %}
        perioden.periode_start - interval {{ lookback }} month >= regios.gegevens_start
    {% else %}
        false
    {% endif %} as lookback_volledig,
    perioden.periode_start - interval {{ historie_d4 }} month >= regios.gegevens_start
        as lookback_volledig_intergenerationeel,
    coalesce(dekking.dagen_historie, 0) > 0 as historie
from perioden
cross join regios
left join dekking on dekking.periode = perioden.periode and dekking.regio = regios.regio
