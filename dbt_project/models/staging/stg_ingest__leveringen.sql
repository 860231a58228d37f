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
    is_actueel,
    -- 'regulier', or 'historie' for a delivery of older meldingen that only fills look-backs (docs/methode.md);
    -- a ledger without the column (ingest before history deliveries) holds regular deliveries only
    {{ ledger_kolom_of('leveringsoort', "'regulier'") }} as leveringsoort
from {{ source('ingest', 'leveringen') }}
