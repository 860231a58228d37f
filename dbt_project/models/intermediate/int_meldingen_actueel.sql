-- Meldingen of the current deliveries, with the region of their delivery. Figures over time are published in
-- one municipal layout, the latest: a municipality code as delivered (as it was on the melding's date) is
-- mapped to its successor in that layout (seed gemeenten, column opvolger; docs/referentiedata.md).
with meldingen as (
    {{ rijen_van_actuele_leveringen('stg_ingest__meldingen') }}
),

gemeenten as (
    select * from {{ ref('gemeenten') }}
)

select
    meldingen.regio,
    meldingen.melding_id,
    meldingen.casus_id,
    meldingen.datum_melding,
    coalesce(gemeenten.opvolger, meldingen.gemeentecode) as gemeentecode,
    meldingen.gemeentecode as gemeentecode_geleverd,
    meldingen.aard_geweld,
    meldingen.melder,
    meldingen.levering_id
from meldingen
left join gemeenten on gemeenten.gemeentecode = meldingen.gemeentecode
