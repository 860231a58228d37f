-- Reconciliation: the received meldingen per period equal the staged meldingen of the current deliveries.
with staged as (
    select p.periode, count(*) as meldingen
    from {{ ref('stg_ingest__meldingen') }} as m
    inner join {{ ref('dim_periode') }} as p on m.datum_melding between p.periode_start and p.periode_eind
    group by p.periode
)

select coalesce(t.periode, s.periode) as periode, t.meldingen as in_mart, s.meldingen as gestaged
from (select * from {{ ref('hermelding_regio_periode') }} where regiotype = 'totaal') as t
full outer join staged as s on s.periode = t.periode
where coalesce(t.meldingen, 0) <> coalesce(s.meldingen, 0)
