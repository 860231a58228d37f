{# The periods that D2-D4 form cohorts and counts by: half years and years (quarters are too short to
   follow persons over), without periods holding history deliveries (those only feed look-backs). #}
{% macro cohortperioden() %}
select * from {{ ref('int_perioden') }} where periodesoort in ('halfjaar', 'jaar') and not historie
{% endmacro %}

{# Per person and cohort period: the person's first appearance among `optredens` (a relation shaped like
   int_optredens: persoon_id, regio, gemeentecode, casus_id, datum_melding, melding_id) in that period, with the
   region, municipality and casus of it: persoon_id, periode, periodesoort, regio, gemeentecode, casus_id,
   eerste_datum. "First" is ordered by (datum_melding, melding_id), as everywhere in the project: two
   appearances on the same day are decided by the lowest melding_id, never by the order rows happen to come in. #}
{% macro eerste_optreden_per_periode(optredens) %}
select
    optredens.persoon_id,
    perioden.periode,
    perioden.periodesoort,
    arg_min(optredens.regio, (optredens.datum_melding, optredens.melding_id)) as regio,
    arg_min(optredens.gemeentecode, (optredens.datum_melding, optredens.melding_id)) as gemeentecode,
    arg_min(optredens.casus_id, (optredens.datum_melding, optredens.melding_id)) as casus_id,
    min(optredens.datum_melding) as eerste_datum
from {{ optredens }} as optredens
inner join ({{ cohortperioden() }}) as perioden
    on perioden.regio = optredens.regio
    and optredens.datum_melding between perioden.periode_start and perioden.periode_eind
group by optredens.persoon_id, perioden.periode, perioden.periodesoort
{% endmacro %}

{# A cohort of persons for the macro opvolging: each person's first appearance among `optredens` in a cohort
   period is the index (subject_id = persoon_id, index_datum = eerste_datum). #}
{% macro persoonscohort(optredens) %}
select
    eerste_optredens.*,
    eerste_optredens.persoon_id as subject_id,
    eerste_optredens.eerste_datum as index_datum
from ({{ eerste_optreden_per_periode(optredens) }}) as eerste_optredens
{% endmacro %}
