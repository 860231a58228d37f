-- Counts of D1 classes per delivering region x municipality x period, on a full grid: every municipality
-- of a delivered region in the latest layout (and any other seen in its meldingen) x every period, zeros
-- included. The count
-- columns and what each counts: var d1_tellingen (macros/d1_tellingen.sql).
with klassen as (
    select * from {{ ref('int_meldingen_geclassificeerd') }}
),

-- periods holding history deliveries only feed the look-back: no figures for them
perioden as (
    select * from {{ ref('int_perioden') }} where not historie
),

gemeenten as (
    select * from {{ ref('gemeenten') }}
),

raster as (
    select perioden.*, gemeenten.gemeentecode
    from perioden
    inner join gemeenten on gemeenten.vt_regio = perioden.regio and gemeenten.gemeentecode = gemeenten.opvolger
    union
    select perioden.*, klassen.gemeentecode
    from perioden
    inner join (select distinct regio, gemeentecode from klassen) as klassen on klassen.regio = perioden.regio
),

tellingen as (
    select
        perioden.regio,
        perioden.periode,
        klassen.gemeentecode,
        {{ d1_tellingen_sql() }}
    from klassen
    inner join perioden
        on perioden.regio = klassen.regio
        and klassen.datum_melding between perioden.periode_start and perioden.periode_eind
    group by perioden.regio, perioden.periode, klassen.gemeentecode
)

select
    raster.regio,
    raster.gemeentecode,
    raster.periode,
    raster.periodesoort,
    raster.jaar,
    raster.periode_start,
    raster.periode_eind,
    raster.periode_compleet,
    raster.lookback_volledig,
    {% for kolom in d1_tellingen() %}
    coalesce(tellingen.{{ kolom }}, 0) as {{ kolom }}{{ ',' if not loop.last }}
    {% endfor %}
from raster
left join tellingen
    on tellingen.regio = raster.regio
    and tellingen.periode = raster.periode
    and tellingen.gemeentecode = raster.gemeentecode
