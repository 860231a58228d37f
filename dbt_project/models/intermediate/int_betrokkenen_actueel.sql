-- Betrokkenen of the meldingen of the current deliveries, with the region of their delivery.
-- The person key every definition links through. A delivery declares the scope of its pseudonyms
-- (levering.toml, docs/export-contract.md): `regio` (the default) - the same pseudonym in two regions is two
-- persons, so the key is `<regio>:<persoon_id>`; `landelijk` - one national pseudonym, the key is the
-- pseudonym itself and D2-D4 follow a person across regions (D1 stays within the region: see its doc).
with betrokkenen as (
    {{ rijen_van_actuele_leveringen('stg_ingest__betrokkenen', ['regio', 'persoon_scope']) }}
)

select
    regio,
    melding_id,
    case when persoon_scope = 'landelijk' then persoon_id else regio || ':' || persoon_id end as persoon_id,
    persoon_id as persoon_id_geleverd,
    rol,
    geslacht,
    geboortejaar,
    levering_id
from betrokkenen
