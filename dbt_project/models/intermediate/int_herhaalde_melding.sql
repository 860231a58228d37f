-- D2 herhaalde_melding: casussen closed in a period, followed from their closure to the first later melding,
-- in another casus, about one of their betrokkenen. The one home of this definition (YAML: its doc).
with meldingen as (
    select * from {{ ref('int_meldingen_actueel') }}
),

casussen as (
    select * from {{ ref('int_casussen_actueel') }}
),

perioden as (
    {{ cohortperioden() }}
),

optredens as (
    select * from {{ ref('int_optredens') }}
),

gegevens_eind as (
    select * from {{ ref('int_gegevens_eind') }}
),

-- a casus is counted in the municipality of its first melding (ties on the same day: lowest melding_id)
casus_gemeente as (
    select regio, casus_id, arg_min(gemeentecode, (datum_melding, melding_id)) as gemeentecode
    from meldingen
    group by regio, casus_id
),

cohort as (
    select
        casussen.regio,
        casus_gemeente.gemeentecode,
        perioden.periode,
        perioden.periodesoort,
        casussen.casus_id as subject_id,
        casussen.datum_afsluiting as index_datum
    from casussen
    inner join casus_gemeente
        on casus_gemeente.regio = casussen.regio and casus_gemeente.casus_id = casussen.casus_id
    inner join perioden
        on perioden.regio = casussen.regio
        and casussen.datum_afsluiting between perioden.periode_start and perioden.periode_eind
),

casus_personen as (
    select distinct regio, casus_id, persoon_id from optredens
),

-- candidate events: every appearance of a casus' person in another casus
optredens_in_andere_casus as (
    select
        casus_personen.regio as cohort_regio,
        casus_personen.casus_id as cohort_casus_id,
        optredens.datum_melding
    from casus_personen
    inner join optredens
        on optredens.persoon_id = casus_personen.persoon_id
        and not (optredens.regio = casus_personen.regio and optredens.casus_id = casus_personen.casus_id)
)

{{ opvolging('herhaalde_melding', 'cohort', 'optredens_in_andere_casus',
             'gebeurtenis.cohort_regio = cohort.regio and gebeurtenis.cohort_casus_id = cohort.subject_id',
             'gegevens_eind') }}
