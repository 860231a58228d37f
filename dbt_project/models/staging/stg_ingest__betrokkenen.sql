with leveringen as (
    select * from {{ ref('stg_ingest__leveringen') }}
)

select
    leveringen.regio,
    betrokkenen.melding_id,
    betrokkenen.persoon_id,
    betrokkenen.rol,
    betrokkenen.geslacht,
    betrokkenen.geboortejaar,
    betrokkenen.levering_id
from {{ source('ingest', 'betrokkenen') }} as betrokkenen
inner join leveringen on betrokkenen.levering_id = leveringen.levering_id
