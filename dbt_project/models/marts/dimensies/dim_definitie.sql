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
    end as parameterwaarden,
    -- where a cohort's clock starts, where the configuration decides it (D3): a report on an older release
    -- describes the definition that release was built with
    case definitie_id
        when 'recidive_pleger' then '{{ var("recidive_pleger_start") }}'
    end as startpunt
from {{ ref('definities') }}
