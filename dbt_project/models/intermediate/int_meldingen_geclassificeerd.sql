-- D1 eerdere_betrokkenheid (CBS StatLine 85361NED): every received melding in exactly one class.
-- The one home of this definition; documented in _intermediate__models.yml.
{% set lookback = var('lookback_maanden') %}

with meldingen as (
    select * from {{ ref('stg_ingest__meldingen') }}
),

casussen as (
    select * from {{ ref('stg_ingest__casussen') }}
),

betrokkenen as (
    select distinct regio, melding_id, persoon_id from {{ ref('stg_ingest__betrokkenen') }}
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
    inner join betrokkenheden as andere
        on andere.persoon_id = betrokkenen.persoon_id
        and not (andere.regio = eerste.regio and andere.casus_id = eerste.casus_id)
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

ingedeeld as (
    select
        m.regio,
        m.melding_id,
        m.casus_id,
        m.datum_melding,
        m.gemeentecode,
        m.is_eerste_van_casus,
        coalesce(a.betrokkenen, 0) as betrokkenen,
        coalesce(b.betrokkenen_bekend, 0) as betrokkenen_bekend,
        case
            when not m.is_eerste_van_casus and m.datum_afsluiting < m.datum_melding then 'niet_ingedeeld'
            when not m.is_eerste_van_casus then 'vervolgmelding'
            when coalesce(a.betrokkenen, 0) = 0 then 'niet_ingedeeld'
            when b.betrokkenen_bekend > 0 then 'hermelding'
            when b.bekend_uit_open_casus then 'niet_ingedeeld'
            else 'eerste_melding'
        end as klasse,
        case
            when not m.is_eerste_van_casus and m.datum_afsluiting < m.datum_melding then null
            when not m.is_eerste_van_casus then
                case
                    when m.datum_veiligheidsbeoordeling is null or m.datum_veiligheidsbeoordeling > m.datum_melding
                        then 'tijdens_veiligheidsbeoordeling'
                    when m.datum_start_monitoring <= m.datum_melding then 'tijdens_monitoring'
                    else 'na_veiligheidsbeoordeling'
                end
            when coalesce(a.betrokkenen, 0) > 0 and b.betrokkenen_bekend = 1 then 'een_betrokkene_bekend'
            when coalesce(a.betrokkenen, 0) > 0 and b.betrokkenen_bekend > 1 then 'meerdere_betrokkenen_bekend'
        end as subklasse,
        case
            when not m.is_eerste_van_casus and m.datum_afsluiting < m.datum_melding then 'melding_na_afsluiting_casus'
            when not m.is_eerste_van_casus then null
            when coalesce(a.betrokkenen, 0) = 0 then 'geen_betrokkenen'
            when coalesce(b.betrokkenen_bekend, 0) = 0 and b.bekend_uit_open_casus
                then 'betrokkene_alleen_bekend_uit_open_casus'
        end as reden
    from meldingen_met_casus as m
    left join aantal_betrokkenen as a on a.regio = m.regio and a.melding_id = m.melding_id
    left join bekendheid as b on b.regio = m.regio and b.melding_id = m.melding_id
)

select
    *,
    'eerdere_betrokkenheid' as definitie_id,
    {{ lookback if lookback else 'null' }} as lookback_maanden
from ingedeeld
