-- D2 by besluit: per region x year cohort x horizon the besluit parts (with `overig`) add up to herhaling_cohort's
-- cohort and events, and every cohort row is there (the disclosure engine declares this relation too).
{%- set delen = d2_besluit_delen() + ['overig'] %}
select cohort.regiocode, cohort.cohort_periode, cohort.horizon_maanden
from {{ ref('herhaling_cohort') }} as cohort
left join {{ ref('herhaling_besluit') }} as besluit
    on besluit.regiotype = cohort.regiotype
    and besluit.regiocode = cohort.regiocode
    and besluit.cohort_periode = cohort.cohort_periode
    and besluit.horizon_maanden = cohort.horizon_maanden
where cohort.definitie_id = 'herhaalde_melding' and cohort.periodesoort = 'jaar'
    and (besluit.regiocode is null
        or cohort.cohort_omvang <> {% for d in delen %}besluit.cohort_omvang_{{ d }}{% if not loop.last %} + {% endif %}{% endfor %}
        or cohort.aantal_gebeurtenissen <> {% for d in delen %}besluit.aantal_gebeurtenissen_{{ d }}{% if not loop.last %} + {% endif %}{% endfor %})
