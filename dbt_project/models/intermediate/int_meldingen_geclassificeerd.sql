-- D1 eerdere_betrokkenheid (CBS StatLine 85361NED): every received melding in exactly one class.
-- The one home of this definition; documented in _intermediate__models.yml.
{% set lookback = var('lookback_maanden') %}

with meldingen as (
    select * from {{ ref('int_meldingen_actueel') }}
),

casussen as (
    select * from {{ ref('int_casussen_actueel') }}
),

betrokkenen as (
    select distinct regio, melding_id, persoon_id from {{ ref('int_betrokkenen_actueel') }}
),

meldingen_met_casus as (
    select
        meldingen.*,
        casussen.datum_start,
        casussen.datum_veiligheidsbeoordeling,
        casussen.datum_start_monitoring,
        casussen.datum_afsluiting,
        -- the casus' first melding: its earliest in the data (ties: lowest id), unless the casus had
        -- already started before it (its first melding predates the data)
        row_number() over (
            partition by meldingen.regio, meldingen.casus_id
            order by meldingen.datum_melding, meldingen.melding_id
        ) = 1 and not coalesce(casussen.datum_start < meldingen.datum_melding, false) as is_eerste_van_casus
    from meldingen
    left join casussen on meldingen.regio = casussen.regio and meldingen.casus_id = casussen.casus_id
),

-- every involvement of a person in a casus, with that casus' closure
betrokkenheden as (
    select
        betrokkenen.persoon_id,
        meldingen_met_casus.regio,
        meldingen_met_casus.casus_id,
        meldingen_met_casus.datum_melding,
        meldingen_met_casus.datum_afsluiting
    from betrokkenen
    inner join meldingen_met_casus
        on betrokkenen.regio = meldingen_met_casus.regio and betrokkenen.melding_id = meldingen_met_casus.melding_id
),

-- for each first melding: each of its persons' involvements in another casus
eerdere_casussen as (
    select
        eerste.regio,
        eerste.melding_id,
        betrokkenen.persoon_id,
        eerste.datum_melding,
        andere.datum_melding as datum_andere_melding,
        andere.datum_afsluiting as afsluiting_andere_casus
    from meldingen_met_casus as eerste
    inner join betrokkenen on betrokkenen.regio = eerste.regio and betrokkenen.melding_id = eerste.melding_id
    -- the region's own casussen only, also with a national pseudonym: CBS counts per Veilig Thuis organisation
    inner join betrokkenheden as andere
        on andere.regio = eerste.regio
        and andere.persoon_id = betrokkenen.persoon_id
        and andere.casus_id <> eerste.casus_id
    where eerste.is_eerste_van_casus
),

bekendheid as (
    select
        regio,
        melding_id,
        -- known: involved in a different casus closed before this melding, within the look-back
        count(distinct case
            when afsluiting_andere_casus < datum_melding
            {% if lookback %}
                and afsluiting_andere_casus >= datum_melding - interval {{ lookback }} month
            {% endif %}
            then persoon_id end) as betrokkenen_bekend,
        -- involved (on or before this date) in a different casus still open at this date
        bool_or(datum_andere_melding <= datum_melding
                and (afsluiting_andere_casus is null or afsluiting_andere_casus >= datum_melding)) as bekend_uit_open_casus
    from eerdere_casussen
    group by regio, melding_id
),

aantal_betrokkenen as (
    select regio, melding_id, count(*) as betrokkenen
    from betrokkenen
    group by regio, melding_id
),

-- the facts the classification decides on, each named once
kenmerken as (
    select
        meldingen_met_casus.*,
        coalesce(aantal_betrokkenen.betrokkenen, 0) as betrokkenen,
        coalesce(bekendheid.betrokkenen_bekend, 0) as betrokkenen_bekend,
        coalesce(bekendheid.bekend_uit_open_casus, false) as bekend_uit_open_casus,
        -- a later melding of a casus, dated after that casus was closed
        coalesce(not meldingen_met_casus.is_eerste_van_casus
                 and meldingen_met_casus.datum_afsluiting < meldingen_met_casus.datum_melding, false)
            as is_na_afsluiting_casus
    from meldingen_met_casus
    left join aantal_betrokkenen
        on aantal_betrokkenen.regio = meldingen_met_casus.regio
        and aantal_betrokkenen.melding_id = meldingen_met_casus.melding_id
    left join bekendheid
        on bekendheid.regio = meldingen_met_casus.regio
        and bekendheid.melding_id = meldingen_met_casus.melding_id
),

ingedeeld as (
    select
        regio,
        melding_id,
        casus_id,
        datum_melding,
        gemeentecode,
        is_eerste_van_casus,
        is_na_afsluiting_casus,
        betrokkenen,
        betrokkenen_bekend,
        case
            when is_na_afsluiting_casus then 'niet_ingedeeld'
            when not is_eerste_van_casus then 'vervolgmelding'
            when betrokkenen = 0 then 'niet_ingedeeld'
            when betrokkenen_bekend > 0 then 'hermelding'
            when bekend_uit_open_casus then 'niet_ingedeeld'
            else 'eerste_melding'
        end as klasse,
        case
            when is_na_afsluiting_casus then null
            when not is_eerste_van_casus then
                case
                    when datum_veiligheidsbeoordeling is null or datum_veiligheidsbeoordeling > datum_melding
                        then 'tijdens_veiligheidsbeoordeling'
                    when datum_start_monitoring <= datum_melding then 'tijdens_monitoring'
                    else 'na_veiligheidsbeoordeling'
                end
            when betrokkenen > 0 and betrokkenen_bekend = 1 then 'een_betrokkene_bekend'
            when betrokkenen > 0 and betrokkenen_bekend > 1 then 'meerdere_betrokkenen_bekend'
        end as subklasse,
        case
            when is_na_afsluiting_casus then 'melding_na_afsluiting_casus'
            when not is_eerste_van_casus then null
            when betrokkenen = 0 then 'geen_betrokkenen'
            when betrokkenen_bekend = 0 and bekend_uit_open_casus
                then 'betrokkene_alleen_bekend_uit_open_casus'
        end as reden
    from kenmerken
)

select
    *,
    'eerdere_betrokkenheid' as definitie_id,
    {{ lookback if lookback else 'null' }} as lookback_maanden
from ingedeeld
