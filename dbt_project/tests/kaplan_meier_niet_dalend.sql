-- A Kaplan-Meier cumulative percentage never decreases over the horizon (herhaling_cohort) or the month
-- (herhaling_curve_maand), lies within 0-100 and inside its interval, and events and the number at risk never
-- exceed the cohort; at a configured horizon the monthly curve and the cohort table agree.
{% for mart in ['herhaling_cohort', 'herhaling_curve_maand'] %}
select '{{ mart }}' as mart, definitie_id, regiocode, cohort_periode, horizon_maanden
from (
    select
        *,
        lag(cumulatief_pct) over (
            partition by definitie_id, regiocode, cohort_periode order by horizon_maanden) as vorige
    from {{ ref(mart) }}
)
where cumulatief_pct < vorige - 1e-9
   or aantal_gebeurtenissen > cohort_omvang
   or aantal_at_risk > cohort_omvang
   or cumulatief_pct not between 0 and 100
   or cumulatief_pct_ci_onder > cumulatief_pct
   or cumulatief_pct > cumulatief_pct_ci_boven
union all
{% endfor %}
select 'herhaling_curve_maand' as mart, cohort.definitie_id, cohort.regiocode, cohort.cohort_periode,
    cohort.horizon_maanden
from {{ ref('herhaling_cohort') }} as cohort
inner join {{ ref('herhaling_curve_maand') }} as maand
    on maand.definitie_id = cohort.definitie_id
    and maand.regiocode = cohort.regiocode
    and maand.cohort_periode = cohort.cohort_periode
    and maand.horizon_maanden = cohort.horizon_maanden
where maand.cohort_omvang <> cohort.cohort_omvang
   or maand.aantal_gebeurtenissen <> cohort.aantal_gebeurtenissen
   or maand.aantal_at_risk <> cohort.aantal_at_risk
   or maand.cumulatief_pct <> cohort.cumulatief_pct
   or maand.publiceerbaar <> cohort.publiceerbaar
