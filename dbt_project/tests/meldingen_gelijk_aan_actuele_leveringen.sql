-- Reconciliation: the received meldingen per period equal the meldingen of the current deliveries (periods
-- holding history deliveries get no figures: int_perioden.historie).
with geleverd as (
    select perioden.periode, count(*) as meldingen
    from {{ ref('int_meldingen_actueel') }} as meldingen
    inner join {{ ref('int_perioden') }} as perioden
        on perioden.regio = meldingen.regio
        and meldingen.datum_melding between perioden.periode_start and perioden.periode_eind
    where not perioden.historie
    group by perioden.periode
),

totaal as (
    select * from {{ ref('hermelding_regio_periode') }} where regiotype = 'totaal'
)

select
    coalesce(totaal.periode, geleverd.periode) as periode,
    totaal.meldingen as in_mart,
    geleverd.meldingen as geleverd
from totaal
full outer join geleverd on geleverd.periode = totaal.periode
where coalesce(totaal.meldingen, 0) <> coalesce(geleverd.meldingen, 0)
