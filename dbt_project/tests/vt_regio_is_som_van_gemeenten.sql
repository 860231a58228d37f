-- A Veilig Thuis region's counts equal the sum of its municipalities' for the same period.
with per_gemeente as (
    select * from {{ ref('hermelding_regio_periode') }} where regiotype = 'gemeente'
),

som_gemeenten as (
    select
        gemeenten.vt_regio as regiocode,
        per_gemeente.periode,
        sum(per_gemeente.meldingen) as meldingen,
        sum(per_gemeente.hermelding) as hermelding
    from per_gemeente
    inner join {{ ref('dim_gemeente') }} as gemeenten on gemeenten.gemeentecode = per_gemeente.regiocode
    group by gemeenten.vt_regio, per_gemeente.periode
)

select vt_regios.regiocode, vt_regios.periode
from {{ ref('hermelding_regio_periode') }} as vt_regios
left join som_gemeenten
    on som_gemeenten.regiocode = vt_regios.regiocode and som_gemeenten.periode = vt_regios.periode
where vt_regios.regiotype = 'vt_regio'
  and (som_gemeenten.meldingen is null
       or vt_regios.meldingen <> som_gemeenten.meldingen
       or vt_regios.hermelding <> som_gemeenten.hermelding)
