-- D4(a) intergenerationeel per region x period: of the persons appearing as adult slachtoffer or pleger in
-- a period, the share that appeared in an earlier melding as a minor, with a Wilson 95% interval, and the
-- persons excluded for an unknown birth year. The definition itself: int_intergenerationeel_volwassenen.
with volwassenen as (
    select * from {{ ref('int_intergenerationeel_volwassenen') }}
),

perioden as (
    {{ cohortperioden() }}
),

kwaliteit as (
    select * from {{ ref('int_registratiekwaliteit') }}
),

definitie as (
    select * from {{ ref('definities') }} where definitie_id = 'intergenerationeel'
),

periodesoorten as (
    select distinct periode, periodesoort from perioden
),

per_gemeente as (
    select
        regio,
        gemeentecode,
        periode,
        count(*) as volwassen_personen,
        count(*) filter (where eerder_als_minderjarige) as eerder_als_minderjarige
    from volwassenen
    group by regio, gemeentecode, periode
),

gecombineerd as (
    select
        coalesce(per_gemeente.regio, kwaliteit.regio) as regio,
        coalesce(per_gemeente.gemeentecode, kwaliteit.gemeentecode) as gemeentecode,
        coalesce(per_gemeente.periode, kwaliteit.periode) as periode,
        coalesce(per_gemeente.volwassen_personen, 0) as volwassen_personen,
        coalesce(per_gemeente.eerder_als_minderjarige, 0) as eerder_als_minderjarige,
        coalesce(kwaliteit.personen_onbekend_geboortejaar, 0) as uitgesloten_onbekend_geboortejaar
    from per_gemeente
    full outer join kwaliteit
        on kwaliteit.regio = per_gemeente.regio
        and kwaliteit.gemeentecode = per_gemeente.gemeentecode
        and kwaliteit.periode = per_gemeente.periode
),

-- whether the region's data reach far enough back for "seen earlier as a minor" (int_perioden)
basis as (
    select gecombineerd.*, perioden.lookback_volledig_intergenerationeel as lookback_volledig
    from gecombineerd
    inner join perioden on perioden.regio = gecombineerd.regio and perioden.periode = gecombineerd.periode
),

niveaus as (
    {{ regio_niveaus('basis') }}
),

per_regio as (
    select regiotype, regiocode, periode,
        sum(volwassen_personen) as volwassen_personen,
        sum(eerder_als_minderjarige) as eerder_als_minderjarige,
        sum(uitgesloten_onbekend_geboortejaar) as uitgesloten_onbekend_geboortejaar,
        bool_and(lookback_volledig) as lookback_volledig
    from niveaus
    group by regiotype, regiocode, periode
)

select
    per_regio.regiotype,
    per_regio.regiocode,
    per_regio.periode,
    periodesoorten.periodesoort,
    per_regio.lookback_volledig,
    cast(per_regio.volwassen_personen as bigint) as volwassen_personen,
    cast(per_regio.eerder_als_minderjarige as bigint) as eerder_als_minderjarige,
    case when per_regio.volwassen_personen > 0
        then 100.0 * per_regio.eerder_als_minderjarige / per_regio.volwassen_personen end as eerder_als_minderjarige_pct,
    {{ wilson_onder('per_regio.eerder_als_minderjarige', 'per_regio.volwassen_personen') }} as eerder_als_minderjarige_pct_ci_onder,
    {{ wilson_boven('per_regio.eerder_als_minderjarige', 'per_regio.volwassen_personen') }} as eerder_als_minderjarige_pct_ci_boven,
    cast(per_regio.uitgesloten_onbekend_geboortejaar as bigint) as uitgesloten_onbekend_geboortejaar,
    definitie.definitie_id,
    definitie.versie as definitie_versie
from per_regio
inner join periodesoorten on periodesoorten.periode = per_regio.periode
cross join definitie
