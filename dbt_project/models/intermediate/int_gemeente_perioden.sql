-- Counts of D1 classes per delivering region x municipality x period, on a full grid: every
-- municipality of a delivered region (and any other seen in its meldingen) x every period, zeros included.
with klassen as (
    select * from {{ ref('int_meldingen_geclassificeerd') }}
),

perioden as (
    select * from {{ ref('int_perioden') }}
),

gemeenten as (
    select * from {{ ref('gemeenten') }}
),

raster as (
    select perioden.*, gemeenten.gemeentecode
    from perioden
    inner join gemeenten on gemeenten.vt_regio = perioden.regio
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
        count(*) as meldingen,
        count(*) filter (where klasse = 'eerste_melding') as eerste_melding,
        count(*) filter (where klasse = 'hermelding') as hermelding,
        count(*) filter (where subklasse = 'een_betrokkene_bekend') as hermelding_een_bekend,
        count(*) filter (where subklasse = 'meerdere_betrokkenen_bekend') as hermelding_meerdere_bekend,
        count(*) filter (where klasse = 'vervolgmelding') as vervolgmelding,
        count(*) filter (where subklasse = 'tijdens_veiligheidsbeoordeling') as vervolg_tijdens_vb,
        count(*) filter (where subklasse = 'na_veiligheidsbeoordeling') as vervolg_na_vb,
        count(*) filter (where subklasse = 'tijdens_monitoring') as vervolg_tijdens_monitoring,
        count(*) filter (where klasse = 'niet_ingedeeld') as niet_ingedeeld
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
    {% for kolom in ['meldingen', 'eerste_melding', 'hermelding', 'hermelding_een_bekend',
                     'hermelding_meerdere_bekend', 'vervolgmelding', 'vervolg_tijdens_vb', 'vervolg_na_vb',
                     'vervolg_tijdens_monitoring', 'niet_ingedeeld'] %}
    coalesce(tellingen.{{ kolom }}, 0) as {{ kolom }}{{ ',' if not loop.last }}
    {% endfor %}
from raster
left join tellingen
    on tellingen.regio = raster.regio
    and tellingen.periode = raster.periode
    and tellingen.gemeentecode = raster.gemeentecode
