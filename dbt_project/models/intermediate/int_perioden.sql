-- Reporting periods (quarter, half year, year) spanning the delivered data, and per region whether
-- each period is complete: every day of it covered by a current delivery.
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
            - greatest(leveringen.periode_start, perioden.periode_start) + 1) as dagen_geleverd
    from perioden
    inner join leveringen
        on leveringen.periode_start <= perioden.periode_eind
        and leveringen.periode_eind >= perioden.periode_start
    group by perioden.periode, leveringen.regio
),

regios as (
    select distinct regio from leveringen
)

select
    regios.regio,
    perioden.periode,
    perioden.periodesoort,
    perioden.jaar,
    perioden.periode_start,
    perioden.periode_eind,
    coalesce(dekking.dagen_geleverd, 0) = perioden.periode_eind - perioden.periode_start + 1 as periode_compleet
from perioden
cross join regios
left join dekking on dekking.periode = perioden.periode and dekking.regio = regios.regio
