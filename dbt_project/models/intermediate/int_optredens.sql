-- Every appearance of a person in a melding, with the age in the year of the melding
-- (year of the melding minus the person's one birth year, int_personen; null when it is unknown). The birth year
-- as delivered in this row is kept as geboortejaar_geleverd.
-- persoon_id is the person key within the region (int_betrokkenen_actueel).
with optredens as (
    select
        betrokkenen.persoon_id,
        betrokkenen.persoon_id_geleverd,
        betrokkenen.rol,
        personen.geboortejaar,
        betrokkenen.geboortejaar as geboortejaar_geleverd,
        year(meldingen.datum_melding) - personen.geboortejaar as leeftijd,
        meldingen.regio,
        meldingen.melding_id,
        meldingen.casus_id,
        meldingen.datum_melding,
        meldingen.gemeentecode
    from {{ ref('int_betrokkenen_actueel') }} as betrokkenen
    inner join {{ ref('int_meldingen_actueel') }} as meldingen
        on meldingen.regio = betrokkenen.regio and meldingen.melding_id = betrokkenen.melding_id
    inner join {{ ref('int_personen') }} as personen on personen.persoon_id = betrokkenen.persoon_id
)

select
    *,
    -- D4's adult appearance: as slachtoffer or pleger, aged 18 or over in the year of the melding
    coalesce(leeftijd >= 18 and rol in ('slachtoffer', 'pleger'), false) as is_volwassen_slachtoffer_of_pleger
from optredens
