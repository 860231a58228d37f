-- Registration quality that readers of D3 and D4 must see, per delivering region x municipality x
-- period (half year, year): betrokkenen rows with rol 'onbekend' (role recording is known to be
-- incomplete), persons with an unknown birth year (excluded from D4) and persons whose rows give more than one
-- birth year (one is chosen, int_personen), the latter two attributed to the municipality of their first
-- appearance in the period.
with optredens as (
    select * from {{ ref('int_optredens') }}
),

perioden as (
    {{ cohortperioden() }}
),

in_periode as (
    select optredens.*, perioden.periode
    from optredens
    inner join perioden
        on perioden.regio = optredens.regio
        and optredens.datum_melding between perioden.periode_start and perioden.periode_eind
),

rollen as (
    select regio, gemeentecode, periode,
        count(*) as betrokkenen_rijen,
        count(*) filter (where rol = 'onbekend') as rol_onbekend_rijen
    from in_periode
    group by regio, gemeentecode, periode
),

onbekend_jaar_optredens as (
    select * from optredens where geboortejaar is null
),

onbekend_jaar as (
    select regio, gemeentecode, periode, count(*) as personen_onbekend_geboortejaar
    from ({{ eerste_optreden_per_periode('onbekend_jaar_optredens') }}) as eerste_optredens
    group by regio, gemeentecode, periode
),

tegenstrijdig_jaar_optredens as (
    select optredens.*
    from optredens
    inner join {{ ref('int_personen') }} as personen on personen.persoon_id = optredens.persoon_id
    where personen.geboortejaren_geleverd > 1
),

tegenstrijdig_jaar as (
    select regio, gemeentecode, periode, count(*) as personen_geboortejaar_tegenstrijdig
    from ({{ eerste_optreden_per_periode('tegenstrijdig_jaar_optredens') }}) as eerste_optredens
    group by regio, gemeentecode, periode
)

select
    rollen.regio,
    rollen.gemeentecode,
    rollen.periode,
    rollen.betrokkenen_rijen,
    rollen.rol_onbekend_rijen,
    coalesce(onbekend_jaar.personen_onbekend_geboortejaar, 0) as personen_onbekend_geboortejaar,
    coalesce(tegenstrijdig_jaar.personen_geboortejaar_tegenstrijdig, 0) as personen_geboortejaar_tegenstrijdig
from rollen
left join onbekend_jaar
    on onbekend_jaar.regio = rollen.regio
    and onbekend_jaar.gemeentecode = rollen.gemeentecode
    and onbekend_jaar.periode = rollen.periode
left join tegenstrijdig_jaar
    on tegenstrijdig_jaar.regio = rollen.regio
    and tegenstrijdig_jaar.gemeentecode = rollen.gemeentecode
    and tegenstrijdig_jaar.periode = rollen.periode
