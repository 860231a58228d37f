-- Every delivery attempt of the ingest ledger, as loaded. Which delivery is current is decided once,
-- in int_leveringen_actueel.
select
    levering_id,
    regio,
    periode,
    periode_start,
    periode_eind,
    inhoud_sha256,
    uitkomst,
    is_actueel,
    -- 'regulier', or 'historie' for a delivery of older meldingen that only fills look-backs (docs/export-contract.md);
    -- a ledger without the column (ingest before history deliveries) holds regular deliveries only
    {% set ledger_kolommen = adapter.get_columns_in_relation(source('ingest', 'leveringen')) | map(attribute='name') | list %}
    {{ 'leveringsoort' if 'leveringsoort' in ledger_kolommen else "'regulier'" }} as leveringsoort
from {{ source('ingest', 'leveringen') }}
