-- "Gezinnen ooit eerder gezien" (issue 12, section 5): per region x year, of the meldingen received, how many have
-- a betrokkene who appeared in a melding on an earlier day, in any casus (closed or still open), as far back as
-- the region's data go; a hermelding or vervolgmelding (D1) counts as seen before by definition, so
-- eerder_gezien >= hermelding + vervolgmelding (the relation the disclosure engine declares). meldingen, hermelding
-- and vervolgmelding are D1's (hermelding_regio_periode: one home), repeated so the share has its denominator.
with meldingen as (
    select * from {{ ref('int_meldingen_geclassificeerd') }}
),

optredens as (
    select * from {{ ref('int_optredens') }}
),

perioden as (
    select * from {{ ref('int_perioden') }} where periodesoort = 'jaar' and not historie
),

d1 as (
    select * from {{ ref('hermelding_regio_periode') }} where periodesoort = 'jaar'
),

eerste_optreden as (
    select persoon_id, min(datum_melding) as eerste_datum
    from optredens
    group by persoon_id
),

-- meldingen with a betrokkene seen on an earlier day
met_eerder_gezien as (
    select distinct optredens.regio, optredens.melding_id
    from optredens
    inner join eerste_optreden on eerste_optreden.persoon_id = optredens.persoon_id
    where eerste_optreden.eerste_datum < optredens.datum_melding
),

per_melding as (
    select
        meldingen.regio,
        meldingen.gemeentecode,
        meldingen.datum_melding,
        meldingen.klasse in ('hermelding', 'vervolgmelding') or met_eerder_gezien.melding_id is not null
            as eerder_gezien
    from meldingen
    left join met_eerder_gezien
        on met_eerder_gezien.regio = meldingen.regio and met_eerder_gezien.melding_id = meldingen.melding_id
),

per_gemeente as (
    select
        per_melding.regio,
        per_melding.gemeentecode,
        perioden.periode,
        count(*) filter (where per_melding.eerder_gezien) as eerder_gezien
    from per_melding
    inner join perioden
        on perioden.regio = per_melding.regio
        and per_melding.datum_melding between perioden.periode_start and perioden.periode_eind
    group by per_melding.regio, per_melding.gemeentecode, perioden.periode
),

niveaus as (
    {{ regio_niveaus('per_gemeente') }}
),

tellingen as (
    select regiotype, regiocode, periode, sum(eerder_gezien) as eerder_gezien
    from niveaus
    group by regiotype, regiocode, periode
),

samen as (
    select
        d1.regiotype,
        d1.regiocode,
        d1.regionaam,
        d1.periode,
        d1.periodesoort,
        d1.periode_start,
        d1.periode_compleet,
        d1.meldingen,
        d1.hermelding,
        d1.vervolgmelding,
        cast(coalesce(tellingen.eerder_gezien, 0) as bigint) as eerder_gezien
    from d1
    left join tellingen
        on tellingen.regiotype = d1.regiotype
        and tellingen.regiocode = d1.regiocode
        and tellingen.periode = d1.periode
)

select
    regiotype,
    regiocode,
    regionaam,
    periode,
    periodesoort,
    periode_start,
    periode_compleet,
    meldingen,
    hermelding,
    vervolgmelding,
    eerder_gezien,
    eerder_gezien - hermelding - vervolgmelding as eerder_gezien_overig,
    case when meldingen > 0 then 100.0 * eerder_gezien / meldingen end as eerder_gezien_pct,
    {{ wilson_onder('eerder_gezien', 'meldingen') }} as eerder_gezien_pct_ci_onder,
    {{ wilson_boven('eerder_gezien', 'meldingen') }} as eerder_gezien_pct_ci_boven
from samen
