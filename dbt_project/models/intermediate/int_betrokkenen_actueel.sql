-- Betrokkenen of the meldingen of the current deliveries, with the region of their delivery.
-- A person is identified within the delivering region: the export contract's persoon_id is a pseudonym of
-- the region (scope `regio`), so the same pseudonym in two regions is two persons. Every definition (D1-D4)
-- links persons through this key, so none links across regions.
with betrokkenen as (
    {{ rijen_van_actuele_leveringen('stg_ingest__betrokkenen') }}
)

select
    regio,
    melding_id,
    regio || ':' || persoon_id as persoon_id,
    persoon_id as persoon_id_geleverd,
    rol,
    geslacht,
    geboortejaar,
    levering_id
from betrokkenen
