-- Completeness: every municipality of a delivering region (in the latest layout, which the figures are
-- published in) has a row for every period that region delivered completely (zeros included).
with verwacht as (
    select gemeenten.gemeentecode, perioden.periode
    from {{ ref('dim_gemeente') }} as gemeenten
    inner join {{ ref('int_perioden') }} as perioden
        on perioden.regio = gemeenten.vt_regio and perioden.periode_compleet and not perioden.historie
    where gemeenten.gemeentecode = gemeenten.opvolger
)

select verwacht.gemeentecode, verwacht.periode
from verwacht
left join {{ ref('hermelding_regio_periode') }} as per_gemeente
    on per_gemeente.regiotype = 'gemeente'
    and per_gemeente.regiocode = verwacht.gemeentecode
    and per_gemeente.periode = verwacht.periode
where per_gemeente.regiocode is null
