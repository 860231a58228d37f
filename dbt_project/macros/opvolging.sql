{# The shared mechanics of the prospective definitions (D2, D3, D4(b)): follow every cohort member from its
   index date to the first later event, censored at its region's data end. What a cohort member is and which
   events count for it is the definition's own, in its model; this is only the follow-up.

   - cohort: relation with regio, gemeentecode, periode, periodesoort, subject_id, index_datum
   - gebeurtenissen: relation of candidate events, each with a datum_melding
   - koppeling: SQL condition on the aliases `cohort` and `gebeurtenis`: which events count for which member
     (the macro adds: strictly after the index date)
   - gegevens_eind: relation with regio, gegevens_eind (int_gegevens_eind)

   One row per cohort member and period: definitie_id, regio, gemeentecode, periode, periodesoort, subject_id,
   index_datum, gegevens_eind, gebeurtenis (1 if the event happened by the data end, else 0) and tijd_dagen
   (days from the index date to the event, or to the data end when censored). #}
{% macro opvolging(definitie_id, cohort, gebeurtenissen, koppeling, gegevens_eind) %}
select
    '{{ definitie_id }}' as definitie_id,
    cohort.regio,
    cohort.gemeentecode,
    cohort.periode,
    cohort.periodesoort,
    cohort.subject_id,
    cohort.index_datum,
    data_einde.gegevens_eind,
    case when eerste_gebeurtenis.gebeurtenis_datum <= data_einde.gegevens_eind then 1 else 0 end as gebeurtenis,
    case when eerste_gebeurtenis.gebeurtenis_datum <= data_einde.gegevens_eind
        then eerste_gebeurtenis.gebeurtenis_datum - cohort.index_datum
        else data_einde.gegevens_eind - cohort.index_datum
    end as tijd_dagen
from {{ cohort }} as cohort
-- the first later event: an inner join first, attached afterwards (a left join with these non-equality
-- conditions is not hashable)
left join (
    select cohort.regio, cohort.subject_id, cohort.periode, min(gebeurtenis.datum_melding) as gebeurtenis_datum
    from {{ cohort }} as cohort
    inner join {{ gebeurtenissen }} as gebeurtenis
        on {{ koppeling }}
        and gebeurtenis.datum_melding > cohort.index_datum
    group by cohort.regio, cohort.subject_id, cohort.periode
) as eerste_gebeurtenis
    on eerste_gebeurtenis.regio = cohort.regio
    and eerste_gebeurtenis.subject_id = cohort.subject_id
    and eerste_gebeurtenis.periode = cohort.periode
inner join {{ gegevens_eind }} as data_einde on data_einde.regio = cohort.regio
{% endmacro %}
