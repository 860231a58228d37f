-- One row per casus: the row of its latest current delivery (a casus opened in one period is usually
-- closed in a later one, whose row supersedes the earlier).
with leveringen as (
    select * from {{ ref('stg_ingest__leveringen') }}
),

casusrijen as (
    select
        leveringen.regio,
        leveringen.periode_eind,
        casussen.*
    from {{ source('ingest', 'casussen') }} as casussen
    inner join leveringen on casussen.levering_id = leveringen.levering_id
)

select
    regio,
    casus_id,
    datum_start,
    datum_veiligheidsbeoordeling,
    datum_start_monitoring,
    datum_afsluiting,
    besluit,
    levering_id
from casusrijen
qualify row_number() over (partition by regio, casus_id order by periode_eind desc) = 1
