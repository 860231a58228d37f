-- Every delivery attempt of the ingest ledger, as loaded. Which delivery is current is decided once,
-- in int_leveringen_actueel.
select
    levering_id,
    regio,
    periode,
    periode_start,
    periode_eind,
    inhoud_sha256,
    persoon_scope,
    uitkomst,
    is_actueel
from {{ source('ingest', 'leveringen') }}
