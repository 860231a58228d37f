-- The definitions with the parameter values this build used.
select
    definitie_id,
    versie,
    naam,
    omschrijving,
    parameters,
    case parameters
        when 'lookback_maanden' then '{{ var("lookback_maanden") }}'
        when 'horizons_maanden' then '{{ var("horizons_maanden") | join(",") }}'
        when 'horizons_pleger' then '{{ var("horizons_pleger") | join(",") }}'
        when 'horizons_intergenerationeel' then '{{ var("horizons_intergenerationeel") | join(",") }}'
    end as parameterwaarden
from {{ ref('definities') }}
