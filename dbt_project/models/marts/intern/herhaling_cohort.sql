-- D2 herhaalde_melding, D3 recidive_pleger and D4(b) intergenerationeel (each defined in its own
-- intermediate model) as Kaplan-Meier cumulative percentages per region x cohort period x definition x
-- horizon, computed set-based: the survival curve is a cumulative product (exp of a running sum of logs)
-- over the distinct event times.
-- 95% interval: Greenwood variance on the log(-log) scale (as lifelines' default).
-- Every value is kept here; `publiceerbaar` says whether a percentage may be shown (follow-up reaches the horizon
-- for every possible cohort member, and enough persons remain at risk), `reden_niet_publiceerbaar` why not.
{% set z = z_95() %}
{% set horizons = {
    'herhaalde_melding': var('horizons_maanden'),
    'recidive_pleger': var('horizons_pleger'),
    'intergenerationeel': var('horizons_intergenerationeel'),
} %}

-- one row per cohort member: each definition's own model, in one shape (macro opvolging)
with subjecten as (
    select * from {{ ref('int_herhaalde_melding') }}
    union all
    select * from {{ ref('int_recidive_pleger') }}
    union all
    select * from {{ ref('int_intergenerationeel_minderjarigen') }}
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
    group by definitie_id, regiotype, regiocode, periode
),

horizons as (
    select * from (values
    {% for definitie, lijst in horizons.items() %}
        {% for h in lijst %}('{{ definitie }}', {{ h }}){{ ',' if not loop.last }}{% endfor %}{{ ',' if not loop.last }}
    {% endfor %}
    ) as h (definitie_id, horizon_maanden)
),

per_tijd as (
    select definitie_id, regiotype, regiocode, periode, tijd_dagen,
        count(*) as n_t,
        sum(gebeurtenis) as d
    from niveaus
    group by definitie_id, regiotype, regiocode, periode, tijd_dagen
),

risico as (
    select *,
        sum(n_t) over (partition by definitie_id, regiotype, regiocode, periode order by tijd_dagen desc) as n_risico
    from per_tijd
),

stappen as (
    select
        definitie_id, regiotype, regiocode, periode, tijd_dagen,
        sum(case when d = n_risico then 1 else 0 end) over w as nul_bereikt,
        exp(sum(case when d < n_risico then ln(1 - d / n_risico) else 0 end) over w) as overleving_voorlopig,
        sum(case when d < n_risico then d / (n_risico * (n_risico - d)) else 0 end) over w as greenwood_som
    from risico
    where d > 0
    window w as (partition by definitie_id, regiotype, regiocode, periode order by tijd_dagen)
),

raster as (
    select groepen.*, horizons.horizon_maanden, {{ maanden_in_dagen('horizons.horizon_maanden') }} as horizon_dagen
    from groepen
    inner join horizons on horizons.definitie_id = groepen.definitie_id
),

op_horizon as (
    select
        raster.*,
        case
            when stappen.tijd_dagen is null then 1.0
            when stappen.nul_bereikt > 0 then 0.0
            else stappen.overleving_voorlopig
        end as overleving,
        coalesce(stappen.greenwood_som, 0) as greenwood_som
    from raster
    asof left join stappen
        on stappen.definitie_id = raster.definitie_id
        and stappen.regiotype = raster.regiotype
        and stappen.regiocode = raster.regiocode
        and stappen.periode = raster.periode
        and raster.horizon_dagen >= stappen.tijd_dagen
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

km as (
    select
        op_horizon.*,
        -- only defined strictly between 0 and 1 (the interval is null at 0 and 1)
        case when op_horizon.overleving > 0 and op_horizon.overleving < 1 then ln(op_horizon.overleving) end as log_s
    from op_horizon
)

select
    km.definitie_id,
    definities.versie as definitie_versie,
    km.regiotype,
    km.regiocode,
    km.periode as cohort_periode,
    km.periodesoort,
    km.horizon_maanden,
    km.horizon_dagen,
    km.cohort_omvang,
    tellingen.aantal_gebeurtenissen,
    tellingen.aantal_at_risk,
    -- rounded to 10 decimals: far below any published precision, and reproducible across platforms
    round(100 * (1 - km.overleving), 10) as cumulatief_pct,
    case when km.overleving > 0 and km.overleving < 1 then
        round(100 * (1 - exp(-exp(ln(-km.log_s) + {{ z }} * sqrt(km.greenwood_som) / km.log_s))), 10)
    end as cumulatief_pct_ci_onder,
    case when km.overleving > 0 and km.overleving < 1 then
        round(100 * (1 - exp(-exp(ln(-km.log_s) - {{ z }} * sqrt(km.greenwood_som) / km.log_s))), 10)
    end as cumulatief_pct_ci_boven,
    -- everyone who could be in the cohort could be followed for the whole horizon: from the cohort period's
    -- last day to the data end (dates only, so this reveals nothing about the cohort)
    followup.volledige_followup,
    followup.volledige_followup
    and {{ afgerond('tellingen.aantal_at_risk') }} >= {{ var('km_minimum_at_risk') }} as publiceerbaar,
    case
        when not followup.volledige_followup then 'followup_onvolledig'
        when {{ afgerond('tellingen.aantal_at_risk') }} < {{ var('km_minimum_at_risk') }} then 'te_weinig_at_risk'
    end as reden_niet_publiceerbaar,
    case when km.definitie_id = 'recidive_pleger' and kwaliteit_niveaus.betrokkenen_rijen > 0
        then 100.0 * kwaliteit_niveaus.rol_onbekend_rijen / kwaliteit_niveaus.betrokkenen_rijen
    end as rol_onbekend_pct,
    case when km.definitie_id = 'intergenerationeel'
        then cast(coalesce(kwaliteit_niveaus.personen_onbekend_geboortejaar, 0) as bigint)
    end as uitgesloten_onbekend_geboortejaar
from km
inner join tellingen
    on tellingen.definitie_id = km.definitie_id
    and tellingen.regiotype = km.regiotype
    and tellingen.regiocode = km.regiocode
    and tellingen.periode = km.periode
    and tellingen.horizon_maanden = km.horizon_maanden
inner join definities on definities.definitie_id = km.definitie_id
inner join (
    select raster.definitie_id, raster.regiotype, raster.regiocode, raster.periode, raster.horizon_maanden,
        raster.gegevens_eind - periode_einden.periode_eind >= raster.horizon_dagen as volledige_followup
    from raster
    inner join periode_einden on periode_einden.periode = raster.periode
) as followup
    on followup.definitie_id = km.definitie_id
    and followup.regiotype = km.regiotype
    and followup.regiocode = km.regiocode
    and followup.periode = km.periode
    and followup.horizon_maanden = km.horizon_maanden
left join kwaliteit_niveaus
    on kwaliteit_niveaus.regiotype = km.regiotype
    and kwaliteit_niveaus.regiocode = km.regiocode
    and kwaliteit_niveaus.periode = km.periode
