-- The Kaplan-Meier curve of D2 herhaalde_melding, D3 recidive_pleger and D4(b) intergenerationeel (each defined
-- in its own intermediate model) as a step function: one row per region x cohort period x definition x distinct
-- follow-up time (an event or a censoring), with the number at risk just before it, the events and censorings at
-- it, the survival after it and its 95% interval (Greenwood variance on the log(-log) scale, as lifelines'
-- default). Set-based: the survival is a cumulative product (exp of a running sum of logs) over the times.
-- The one Kaplan-Meier computation of the project: herhaling_cohort and herhaling_curve_maand read their
-- percentages at a horizon from here (macro km_op_horizons).
{% set z = z_95() %}

with subjecten as (
    select * from {{ ref('int_cohortleden') }}
),

definities as (
    select * from {{ ref('definities') }}
),

niveaus as (
    {{ regio_niveaus('subjecten') }}
),

per_tijd as (
    select definitie_id, regiotype, regiocode, periode, tijd_dagen,
        any_value(periodesoort) as periodesoort,
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
        *,
        sum(case when d = n_risico then 1 else 0 end) over w as nul_bereikt,
        exp(sum(case when d < n_risico then ln(1 - d / n_risico) else 0 end) over w) as overleving_voorlopig,
        sum(case when d < n_risico then d / (n_risico * (n_risico - d)) else 0 end) over w as greenwood_som
    from risico
    window w as (partition by definitie_id, regiotype, regiocode, periode order by tijd_dagen)
),

km as (
    select
        *,
        case when nul_bereikt > 0 then 0.0 else overleving_voorlopig end as overleving
    from stappen
),

met_log as (
    select
        *,
        -- only defined strictly between 0 and 1 (the interval is null at 0 and 1)
        case when overleving > 0 and overleving < 1 then ln(overleving) end as log_s
    from km
)

select
    met_log.definitie_id,
    definities.versie as definitie_versie,
    met_log.regiotype,
    met_log.regiocode,
    met_log.periode as cohort_periode,
    met_log.periodesoort,
    cast(met_log.tijd_dagen as integer) as tijd_dagen,
    cast(met_log.n_risico as bigint) as aantal_at_risk,
    cast(met_log.d as bigint) as aantal_gebeurtenissen,
    cast(met_log.n_t - met_log.d as bigint) as aantal_gecensureerd,
    -- rounded to 10 decimals: far below any published precision, and reproducible across platforms
    round(met_log.overleving, 10) as overleving,
    round(100 * (1 - met_log.overleving), 10) as cumulatief_pct,
    case when met_log.log_s is not null then
        round(100 * (1 - exp(-exp(ln(-met_log.log_s) + {{ z }} * sqrt(met_log.greenwood_som) / met_log.log_s))), 10)
    end as cumulatief_pct_ci_onder,
    case when met_log.log_s is not null then
        round(100 * (1 - exp(-exp(ln(-met_log.log_s) - {{ z }} * sqrt(met_log.greenwood_som) / met_log.log_s))), 10)
    end as cumulatief_pct_ci_boven
from met_log
inner join definities on definities.definitie_id = met_log.definitie_id
