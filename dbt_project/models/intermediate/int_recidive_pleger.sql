-- D3 recidive_pleger: persons registered as pleger in a period, followed from their first such melding to
-- their next appearance as pleger in another casus. The one home of this definition (YAML: its doc).
with optredens as (
    select * from {{ ref('int_optredens') }}
),

gegevens_eind as (
    select * from {{ ref('int_gegevens_eind') }}
),

pleger_optredens as (
    select * from optredens where rol = 'pleger'
),

-- index: the person's first melding as pleger in the period (its region, municipality and casus)
cohort as (
    {{ persoonscohort('pleger_optredens') }}
)

{{ opvolging('recidive_pleger', 'cohort', 'pleger_optredens',
             'gebeurtenis.persoon_id = cohort.subject_id
              and not (gebeurtenis.regio = cohort.regio and gebeurtenis.casus_id = cohort.casus_id)',
             'gegevens_eind') }}
