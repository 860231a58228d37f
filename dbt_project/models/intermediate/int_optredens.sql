-- Every appearance of a person in a melding, with the age in the year of the melding
-- (year of the melding minus geboortejaar; null when the birth year is unknown).
select
    betrokkenen.persoon_id,
    betrokkenen.rol,
    betrokkenen.geboortejaar,
    year(meldingen.datum_melding) - betrokkenen.geboortejaar as leeftijd,
    meldingen.regio,
    meldingen.melding_id,
    meldingen.casus_id,
    meldingen.datum_melding,
    meldingen.gemeentecode
from {{ ref('stg_ingest__betrokkenen') }} as betrokkenen
inner join {{ ref('stg_ingest__meldingen') }} as meldingen
    on meldingen.regio = betrokkenen.regio and meldingen.melding_id = betrokkenen.melding_id
