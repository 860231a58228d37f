-- D2 herhaalde_melding broken down by what Veilig Thuis decided in the closed casus (besluit): per region x year
-- cohort x configured horizon, the cohort and its events per besluit (var d2_besluit_delen; every other code is
-- `overig`). The definition is int_herhaalde_melding's and the totals are herhaling_cohort's (one home each): the
-- parts add up to them (dbt test herhaling_besluit_telt_op_tot_cohort). Percentages per besluit only where the
-- follow-up is complete, where Kaplan-Meier equals events / cohort (Wilson interval, like the public ratios).
{%- set delen = d2_besluit_delen() %}
with cohort as (
    select * from {{ ref('herhaling_cohort') }}
    where definitie_id = 'herhaalde_melding' and periodesoort = 'jaar'
),

leden as (
    select * from {{ ref('int_herhaalde_melding') }}
    where periodesoort = 'jaar'
),

casussen as (
    select * from {{ ref('int_casussen_actueel') }}
),

-- a cohort member is a closed casus: its besluit, the StatLine codes shown, anything else `overig`
leden_besluit as (
    select
        leden.*,
        case when casussen.besluit in ({% for d in delen %}'{{ d }}'{% if not loop.last %}, {% endif %}{% endfor %})
            then casussen.besluit else 'overig' end as besluit
    from leden
    inner join casussen on casussen.regio = leden.regio and casussen.casus_id = leden.subject_id
),

niveaus as (
    {{ regio_niveaus('leden_besluit') }}
),

-- the cohort's own rows and horizons (herhaling_cohort), counted per besluit as km_op_horizons counts them
tellingen as (
    select
        cohort.regiotype, cohort.regiocode, cohort.cohort_periode, cohort.horizon_maanden,
        {%- for d in delen + ['overig'] %}
        count(*) filter (where niveaus.besluit = '{{ d }}') as cohort_omvang_{{ d }},
        count(*) filter (where niveaus.besluit = '{{ d }}' and niveaus.gebeurtenis = 1
                         and niveaus.tijd_dagen <= cohort.horizon_dagen) as aantal_gebeurtenissen_{{ d }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from cohort
    inner join niveaus
        on niveaus.regiotype = cohort.regiotype
        and niveaus.regiocode = cohort.regiocode
        and niveaus.periode = cohort.cohort_periode
    group by all
)

select
    cohort.definitie_id,
    cohort.definitie_versie,
    cohort.regiotype,
    cohort.regiocode,
    cohort.cohort_periode,
    cohort.periodesoort,
    cohort.horizon_maanden,
    cohort.horizon_dagen,
    cohort.volledige_followup,
    cohort.cohort_omvang,
    cohort.aantal_gebeurtenissen,
    {%- for d in delen %}
    tellingen.cohort_omvang_{{ d }},
    tellingen.aantal_gebeurtenissen_{{ d }},
    case when cohort.volledige_followup and tellingen.cohort_omvang_{{ d }} > 0
        then 100.0 * tellingen.aantal_gebeurtenissen_{{ d }} / tellingen.cohort_omvang_{{ d }} end
        as cumulatief_pct_{{ d }},
    case when cohort.volledige_followup
        then {{ wilson_onder('tellingen.aantal_gebeurtenissen_' ~ d, 'tellingen.cohort_omvang_' ~ d) }} end
        as cumulatief_pct_{{ d }}_ci_onder,
    case when cohort.volledige_followup
        then {{ wilson_boven('tellingen.aantal_gebeurtenissen_' ~ d, 'tellingen.cohort_omvang_' ~ d) }} end
        as cumulatief_pct_{{ d }}_ci_boven,
    {%- endfor %}
    tellingen.cohort_omvang_overig,
    tellingen.aantal_gebeurtenissen_overig
from cohort
inner join tellingen
    on tellingen.regiotype = cohort.regiotype
    and tellingen.regiocode = cohort.regiocode
    and tellingen.cohort_periode = cohort.cohort_periode
    and tellingen.horizon_maanden = cohort.horizon_maanden
