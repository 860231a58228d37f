-- The step function (herhaling_curve): survival never rises over time, the number at risk at the next time is this
-- time's minus its events and censorings, and the first time's number at risk is the cohort.
select definitie_id, regiocode, cohort_periode, tijd_dagen
from (
    select
        *,
        lag(overleving) over w as vorige_overleving,
        lag(aantal_at_risk - aantal_gebeurtenissen - aantal_gecensureerd) over w as verwacht_at_risk,
        sum(aantal_gebeurtenissen + aantal_gecensureerd) over (
            partition by definitie_id, regiotype, regiocode, cohort_periode) as cohort_omvang,
        row_number() over w as volgnummer
    from {{ ref('herhaling_curve') }}
    window w as (partition by definitie_id, regiotype, regiocode, cohort_periode order by tijd_dagen)
)
where overleving > vorige_overleving + 1e-12
   or aantal_at_risk <> verwacht_at_risk
   or (volgnummer = 1 and aantal_at_risk <> cohort_omvang)
   or overleving not between 0 and 1
