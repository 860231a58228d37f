-- A Kaplan-Meier cumulative percentage never decreases over the horizon, lies within 0-100 and inside its
-- interval, and events and the number at risk never exceed the cohort.
select definitie_id, regiocode, cohort_periode, horizon_maanden
from (
    select
        *,
        lag(cumulatief_pct) over (
            partition by definitie_id, regiocode, cohort_periode order by horizon_maanden) as vorige
    from {{ ref('herhaling_cohort') }}
)
where cumulatief_pct < vorige - 1e-9
   or aantal_gebeurtenissen > cohort_omvang
   or aantal_at_risk > cohort_omvang
   or cumulatief_pct not between 0 and 100
   or cumulatief_pct_ci_onder > cumulatief_pct
   or cumulatief_pct > cumulatief_pct_ci_boven
