-- Every received melding is in exactly one class, and subclasses add up to their class: each total of
-- var d1_tellingen equals the sum of its parts.
select regiocode, periode
from {{ ref('hermelding_regio_periode') }}
where
{%- for totaal, onderdelen in d1_groepen().items() %}
    {{ 'or ' if not loop.first }}{{ totaal }} <> {{ onderdelen | join(' + ') }}
{%- endfor %}
