-- Meldingen of every loaded delivery, one row per delivered row.
select
    levering_id,
    melding_id,
    casus_id,
    datum_melding,
    gemeentecode,
    aard_geweld,
    melder
from {{ source('ingest', 'meldingen') }}
