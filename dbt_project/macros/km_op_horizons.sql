{# The Kaplan-Meier curve (herhaling_curve) read at horizons: one row per region x cohort period x definition x
   horizon with the cohort size, the events by the horizon and the members still at risk at it, the cumulative
   percentage and its 95% interval (the curve's value at the last time <= the horizon), and whether the percentage
   may be published. One rule for herhaling_cohort (the configured horizons) and herhaling_curve_maand (every month).

   - horizons: dict definitie_id -> list of horizons in months (a definition without horizons gets no rows)

   A horizon of m months is round(m x 365.25 / 12) days (macro maanden_in_dagen). #}
{% macro km_op_horizons(horizons) %}

-- one row per cohort member: each definition's own model, in one shape (macro opvolging)
with subjecten as (
    select * from {{ ref('int_cohortleden') }}
),

curve as (
    select * from {{ ref('herhaling_curve') }}
),

kwaliteit as (
    select * from {{ ref('int_registratiekwaliteit') }}
),

definities as (
    select * from {{ ref('definities') }}
),

periode_einden as (
    select distinct periode, periode_eind from {{ ref('int_perioden') }}
),

horizons as (
    select * from (values
    {%- set paren = [] -%}
    {%- for definitie, lijst in horizons.items() -%}
        {%- for h in lijst -%}{%- do paren.append("('" ~ definitie ~ "', " ~ h ~ ")") -%}{%- endfor -%}
    {%- endfor %}
        {{ paren | join(', ') }}
    ) as h (definitie_id, horizon_maanden)
),

niveaus as (
    {{ regio_niveaus('subjecten') }}
),

groepen as (
    select definitie_id, regiotype, regiocode, periode,
        any_value(periodesoort) as periodesoort,
        count(*) as cohort_omvang,
        -- the earliest data end of the regions in the group (NL01 may hold regions with different ends)
        min(gegevens_eind) as gegevens_eind
    from niveaus
    where definitie_id in (select definitie_id from horizons)
    group by definitie_id, regiotype, regiocode, periode
),

raster as (
    select groepen.*, horizons.horizon_maanden, {{ maanden_in_dagen('horizons.horizon_maanden') }} as horizon_dagen
    from groepen
    inner join horizons on horizons.definitie_id = groepen.definitie_id
),

-- the curve's value at the horizon: the step at the last time <= the horizon (none: no one has left yet, 0%)
op_horizon as (
    select
        raster.*,
        coalesce(curve.cumulatief_pct, 0.0) as cumulatief_pct,
        curve.cumulatief_pct_ci_onder,
        curve.cumulatief_pct_ci_boven
    from raster
    asof left join curve
        on curve.definitie_id = raster.definitie_id
        and curve.regiotype = raster.regiotype
        and curve.regiocode = raster.regiocode
        and curve.cohort_periode = raster.periode
        and raster.horizon_dagen >= curve.tijd_dagen
),

tellingen as (
    select
        raster.definitie_id, raster.regiotype, raster.regiocode, raster.periode, raster.horizon_maanden,
        count(*) filter (where niveaus.tijd_dagen >= raster.horizon_dagen) as aantal_at_risk,
        count(*) filter (where niveaus.gebeurtenis = 1 and niveaus.tijd_dagen <= raster.horizon_dagen)
            as aantal_gebeurtenissen
    from raster
    inner join niveaus
        on niveaus.definitie_id = raster.definitie_id
        and niveaus.regiotype = raster.regiotype
        and niveaus.regiocode = raster.regiocode
        and niveaus.periode = raster.periode
    group by all
),

kwaliteit_niveaus as (
    select regiotype, regiocode, periode,
        sum(betrokkenen_rijen) as betrokkenen_rijen,
        sum(rol_onbekend_rijen) as rol_onbekend_rijen,
        sum(personen_onbekend_geboortejaar) as personen_onbekend_geboortejaar
    from (
        {{ regio_niveaus('kwaliteit') }}
    ) as kwaliteit_per_niveau
    group by regiotype, regiocode, periode
),

followup as (
    -- everyone who could be in the cohort could be followed for the whole horizon: from the cohort period's
    -- last day to the data end (dates only, so this reveals nothing about the cohort)
    select raster.definitie_id, raster.regiotype, raster.regiocode, raster.periode, raster.horizon_maanden,
        raster.gegevens_eind - periode_einden.periode_eind >= raster.horizon_dagen as volledige_followup
    from raster
    inner join periode_einden on periode_einden.periode = raster.periode
)

select
    op_horizon.definitie_id,
    definities.versie as definitie_versie,
    op_horizon.regiotype,
    op_horizon.regiocode,
    op_horizon.periode as cohort_periode,
    op_horizon.periodesoort,
    op_horizon.horizon_maanden,
    op_horizon.horizon_dagen,
    op_horizon.cohort_omvang,
    tellingen.aantal_gebeurtenissen,
    tellingen.aantal_at_risk,
    op_horizon.cumulatief_pct,
    op_horizon.cumulatief_pct_ci_onder,
    op_horizon.cumulatief_pct_ci_boven,
    followup.volledige_followup,
    followup.volledige_followup
    and {{ afgerond('tellingen.aantal_at_risk') }} >= {{ var('km_minimum_at_risk') }} as publiceerbaar,
    case
        when not followup.volledige_followup then 'followup_onvolledig'
        when {{ afgerond('tellingen.aantal_at_risk') }} < {{ var('km_minimum_at_risk') }} then 'te_weinig_at_risk'
    end as reden_niet_publiceerbaar,
    case when op_horizon.definitie_id = 'recidive_pleger' and kwaliteit_niveaus.betrokkenen_rijen > 0
        then 100.0 * kwaliteit_niveaus.rol_onbekend_rijen / kwaliteit_niveaus.betrokkenen_rijen
    end as rol_onbekend_pct,
    case when op_horizon.definitie_id = 'intergenerationeel'
        then cast(coalesce(kwaliteit_niveaus.personen_onbekend_geboortejaar, 0) as bigint)
    end as uitgesloten_onbekend_geboortejaar
from op_horizon
inner join tellingen
    on tellingen.definitie_id = op_horizon.definitie_id
    and tellingen.regiotype = op_horizon.regiotype
    and tellingen.regiocode = op_horizon.regiocode
    and tellingen.periode = op_horizon.periode
    and tellingen.horizon_maanden = op_horizon.horizon_maanden
inner join definities on definities.definitie_id = op_horizon.definitie_id
inner join followup
    on followup.definitie_id = op_horizon.definitie_id
    and followup.regiotype = op_horizon.regiotype
    and followup.regiocode = op_horizon.regiocode
    and followup.periode = op_horizon.periode
    and followup.horizon_maanden = op_horizon.horizon_maanden
left join kwaliteit_niveaus
    on kwaliteit_niveaus.regiotype = op_horizon.regiotype
    and kwaliteit_niveaus.regiocode = op_horizon.regiocode
    and kwaliteit_niveaus.periode = op_horizon.periode
{% endmacro %}
