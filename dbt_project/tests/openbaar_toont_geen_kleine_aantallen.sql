-- Disclosure: every count shown in a public mart is a multiple of `afronding` and at least `minimum_telling`.
{% set marts = {
    'hermelding_regio_periode_openbaar': d1_tellingen(),
    'intergenerationeel_regio_periode_openbaar': ['volwassen_personen', 'eerder_als_minderjarige',
        'uitgesloten_onbekend_geboortejaar'],
    'herhaling_cohort_openbaar': ['cohort_omvang', 'aantal_gebeurtenissen', 'aantal_at_risk',
        'uitgesloten_onbekend_geboortejaar'],
    'herhaling_curve_maand_openbaar': ['cohort_omvang', 'aantal_gebeurtenissen', 'aantal_at_risk'],
} %}
{% set besluit_tellingen = ['cohort_omvang', 'aantal_gebeurtenissen', 'cohort_omvang_overig', 'aantal_gebeurtenissen_overig'] %}
{% for besluit in d2_besluit_delen() %}
{% do besluit_tellingen.extend(['cohort_omvang_' ~ besluit, 'aantal_gebeurtenissen_' ~ besluit]) %}
{% endfor %}
{% do marts.update({'herhaling_besluit_openbaar': besluit_tellingen,
    'eerder_gezien_regio_periode_openbaar': ['meldingen', 'hermelding', 'vervolgmelding', 'eerder_gezien']}) %}
{% for mart, kolommen in marts.items() %}
{% for kolom in kolommen %}
select '{{ mart }}' as mart, '{{ kolom }}' as kolom, {{ kolom }} as waarde
from {{ ref(mart) }}
where {{ kolom }} is not null and ({{ kolom }} < {{ var('minimum_telling') }} or {{ kolom }} % {{ var('afronding') }} <> 0)
{% if not loop.last %}union all{% endif %}
{% endfor %}
{% if not loop.last %}union all{% endif %}
{% endfor %}
