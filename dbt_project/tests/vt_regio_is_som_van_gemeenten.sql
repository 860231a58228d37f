-- A Veilig Thuis region's counts equal the sum of its municipalities' for the same period.
with gemeenten as (
    select g.vt_regio as regiocode, h.periode, sum(h.meldingen) as meldingen, sum(h.hermelding) as hermelding
    from {{ ref('hermelding_regio_periode') }} as h
    inner join {{ ref('dim_gemeente') }} as g on g.gemeentecode = h.regiocode
    where h.regiotype = 'gemeente'
    group by g.vt_regio, h.periode
)

select r.regiocode, r.periode
from {{ ref('hermelding_regio_periode') }} as r
left join gemeenten as g on g.regiocode = r.regiocode and g.periode = r.periode
where r.regiotype = 'vt_regio'
  and (g.meldingen is null or r.meldingen <> g.meldingen or r.hermelding <> g.hermelding)
