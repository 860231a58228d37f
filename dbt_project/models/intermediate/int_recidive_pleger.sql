-- D3 recidive_pleger: persons registered as pleger, followed from the start of their index casus' follow-up
-- to their next appearance as pleger in another casus. Where the clock starts is var recidive_pleger_start:
-- 'afsluiting' (default, as the WODC recidive monitor: the cohort is the persons whose casus as pleger was
-- closed in the period, followed from that closure) or 'melding' (the persons with a melding as pleger in the
-- period, followed from that melding, while the casus is still open). The one home of this definition (YAML:
-- its doc).
{% set start = keuze_var('recidive_pleger_start', ['afsluiting', 'melding']) %}

with optredens as (
    select * from {{ ref('int_optredens') }}
),

gegevens_eind as (
    select * from {{ ref('int_gegevens_eind') }}
),

pleger_optredens as (
    select * from optredens where rol = 'pleger'
),

{% if start == 'afsluiting' %}
casussen as (
    select * from {{ ref('int_casussen_actueel') }}
),

-- each closed casus in which the person was pleger, as one "appearance" dated on the closure (municipality:
-- that of the person's first melding as pleger in the casus), so that the cohort macro picks the first
-- closure in the period (ties: lowest melding_id of the casus)
startmomenten as (
    select
        pleger_optredens.persoon_id,
        pleger_optredens.regio,
        pleger_optredens.casus_id,
        arg_min(pleger_optredens.gemeentecode, (pleger_optredens.datum_melding, pleger_optredens.melding_id))
            as gemeentecode,
        min(pleger_optredens.melding_id) as melding_id,
        any_value(casussen.datum_afsluiting) as datum_melding
    from pleger_optredens
    inner join casussen
        on casussen.regio = pleger_optredens.regio and casussen.casus_id = pleger_optredens.casus_id
    where casussen.datum_afsluiting is not null
    group by pleger_optredens.persoon_id, pleger_optredens.regio, pleger_optredens.casus_id
),
{% else %}
startmomenten as (
    select * from pleger_optredens
),
{% endif %}

-- index: the person's first start moment in the period (its region, municipality and casus)
cohort as (
    {{ persoonscohort('startmomenten') }}
)

{{ opvolging('recidive_pleger', 'cohort', 'pleger_optredens',
             'gebeurtenis.persoon_id = cohort.subject_id
              and not (gebeurtenis.regio = cohort.regio and gebeurtenis.casus_id = cohort.casus_id)',
             'gegevens_eind') }}
