-- D4(a) intergenerationeel: persons appearing as adult (18+ in the year of the melding) slachtoffer or pleger
-- in a period, and whether they appeared in an earlier melding as a minor (<18). One row per person and
-- period, counted in the municipality of their first such adult appearance in the period. Unknown birth
-- year: excluded here, counted in int_registratiekwaliteit. The one home of this part of D4 (YAML: its doc).
with optredens as (
    select * from {{ ref('int_optredens') }}
),

volwassen_optredens as (
    select * from optredens where is_volwassen_slachtoffer_of_pleger
),

-- the person's first adult appearance as slachtoffer or pleger in the period
volwassenen as (
    {{ eerste_optreden_per_periode('volwassen_optredens') }}
),

eerder_minderjarig as (
    select distinct volwassenen.persoon_id, volwassenen.periode
    from volwassenen
    inner join optredens as minderjarige_optredens
        on minderjarige_optredens.persoon_id = volwassenen.persoon_id
        and minderjarige_optredens.leeftijd < 18
        and minderjarige_optredens.datum_melding < volwassenen.eerste_datum
)

select
    'intergenerationeel' as definitie_id,
    volwassenen.regio,
    volwassenen.gemeentecode,
    volwassenen.periode,
    volwassenen.periodesoort,
    volwassenen.persoon_id,
    volwassenen.eerste_datum,
    eerder_minderjarig.persoon_id is not null as eerder_als_minderjarige
from volwassenen
left join eerder_minderjarig
    on eerder_minderjarig.persoon_id = volwassenen.persoon_id
    and eerder_minderjarig.periode = volwassenen.periode
