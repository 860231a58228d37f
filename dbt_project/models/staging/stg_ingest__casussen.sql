-- Casus rows of every loaded delivery: the state of the casus at the end of that delivery's period.
select
    levering_id,
    casus_id,
    datum_start,
    datum_veiligheidsbeoordeling,
    datum_start_monitoring,
    datum_afsluiting,
    besluit
from {{ source('ingest', 'casussen') }}
