-- Betrokkenen of every loaded delivery, one row per delivered row.
select
    levering_id,
    melding_id,
    persoon_id,
    rol,
    geslacht,
    geboortejaar
from {{ source('ingest', 'betrokkenen') }}
