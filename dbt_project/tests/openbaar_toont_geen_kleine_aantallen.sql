-- Disclosure: every count shown in a public mart is a multiple of 5 and at least 10.
{% set marts = {
    'hermelding_regio_periode_openbaar': ['meldingen', 'eerste_melding', 'hermelding', 'hermelding_een_bekend',
        'hermelding_meerdere_bekend', 'vervolgmelding', 'vervolg_tijdens_vb', 'vervolg_na_vb',
        'vervolg_tijdens_monitoring', 'niet_ingedeeld'],
    'intergenerationeel_regio_periode_openbaar': ['volwassen_personen', 'eerder_als_minderjarige',
        'uitgesloten_onbekend_geboortejaar'],
    'herhaling_cohort_openbaar': ['cohort_omvang', 'aantal_gebeurtenissen', 'aantal_at_risk',
        'uitgesloten_onbekend_geboortejaar'],
} %}
{% for mart, kolommen in marts.items() %}
{% for kolom in kolommen %}
select '{{ mart }}' as mart, '{{ kolom }}' as kolom, {{ kolom }} as waarde
from {{ ref(mart) }}
where {{ kolom }} is not null and ({{ kolom }} < {{ var('minimum_telling') }} or {{ kolom }} % {{ var('afronding') }} <> 0)
{% if not loop.last %}union all{% endif %}
{% endfor %}
{% if not loop.last %}union all{% endif %}
{% endfor %}
