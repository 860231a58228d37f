with leveringen as (
    select * from {{ ref('stg_ingest__leveringen') }}
),

meldingen as (
    select * from {{ source('ingest', 'meldingen') }}
)

select
    leveringen.regio,
    meldingen.melding_id,
    meldingen.casus_id,
    meldingen.datum_melding,
    meldingen.gemeentecode,
    meldingen.aard_geweld,
    meldingen.melder,
    meldingen.levering_id
from meldingen
inner join leveringen on meldingen.levering_id = leveringen.levering_id
