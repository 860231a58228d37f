-- Internal (exact, per melding): the D1 class, subclass and reason of every received melding.
with klassen as (
    select * from {{ ref('int_meldingen_geclassificeerd') }}
),

definitie as (
    select * from {{ ref('definities') }} where definitie_id = 'eerdere_betrokkenheid'
)

select
    klassen.regio,
    klassen.melding_id,
    klassen.casus_id,
    klassen.datum_melding,
    klassen.gemeentecode,
    klassen.klasse,
    klassen.subklasse,
    klassen.reden,
    klassen.betrokkenen,
    klassen.betrokkenen_bekend,
    definitie.definitie_id,
    definitie.versie as definitie_versie,
    klassen.lookback_maanden
from klassen
cross join definitie
