-- Current loaded deliveries: a correction replaces the earlier delivery of its region and period.
select
    levering_id,
    regio,
    periode,
    periode_start,
    periode_eind,
    inhoud_sha256
from {{ source('ingest', 'leveringen') }}
where is_actueel and uitkomst = 'geladen'
