-- D4(b) intergenerationeel: persons seen as minors aged 12-17 in a period, followed from their first such
-- appearance to a later appearance as adult (18+) slachtoffer or pleger. Unknown birth year: excluded here,
-- counted in int_registratiekwaliteit. The one home of this part of D4 (YAML: its doc).
with optredens as (
    select * from {{ ref('int_optredens') }}
),

gegevens_eind as (
    select * from {{ ref('int_gegevens_eind') }}
),

minderjarige_optredens as (
    select * from optredens where leeftijd between 12 and 17
),

volwassen_optredens as (
    select * from optredens where is_volwassen_slachtoffer_of_pleger
),

-- index: the person's first appearance as a minor of 12-17 in the period
cohort as (
    {{ persoonscohort('minderjarige_optredens') }}
)

{{ opvolging('intergenerationeel', 'cohort', 'volwassen_optredens',
             'gebeurtenis.persoon_id = cohort.subject_id', 'gegevens_eind') }}
