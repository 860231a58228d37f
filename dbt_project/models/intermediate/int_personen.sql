-- One row per person (key within the region, int_betrokkenen_actueel) with one birth year derived from all
-- their betrokkenen rows. Rule: the birth year recorded most often among the person's rows with a known birth
-- year; on a tie, the one of the latest melding (datum_melding, melding_id). Unknown only when no row has one.
-- Persons whose rows disagree are counted in int_registratiekwaliteit.
with betrokkenen as (
    select * from {{ ref('int_betrokkenen_actueel') }}
),

meldingen as (
    select regio, melding_id, datum_melding from {{ ref('int_meldingen_actueel') }}
),

per_jaar as (
    select
        betrokkenen.persoon_id,
        betrokkenen.geboortejaar,
        count(*) as rijen,
        max((meldingen.datum_melding, meldingen.melding_id)) as laatste_melding
    from betrokkenen
    inner join meldingen on meldingen.regio = betrokkenen.regio and meldingen.melding_id = betrokkenen.melding_id
    where betrokkenen.geboortejaar is not null
    group by betrokkenen.persoon_id, betrokkenen.geboortejaar
),

gekozen as (
    select
        persoon_id,
        arg_max(geboortejaar, (rijen, laatste_melding)) as geboortejaar,
        count(*) as geboortejaren_geleverd
    from per_jaar
    group by persoon_id
)

select
    personen.persoon_id,
    gekozen.geboortejaar,
    coalesce(gekozen.geboortejaren_geleverd, 0) as geboortejaren_geleverd
from (select distinct persoon_id from betrokkenen) as personen
left join gekozen on gekozen.persoon_id = personen.persoon_id
