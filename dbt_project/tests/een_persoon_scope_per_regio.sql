-- One kind of pseudonym per region: every current delivery of a region declares the same persoon_id scope.
-- Ingest refuses a delivery that would mix them (rule persoon_scope_wisselt), except when every current period
-- is delivered again with the new scope in one run; if one of those was refused, the region is left mixed and
-- no figure may be computed on it. Fix: correct and deliver the refused period again with the new scope.
select
    regio,
    count(distinct persoon_scope) as scopes,
    string_agg(distinct persoon_scope, ', ') as welke
from {{ ref('int_leveringen_actueel') }}
group by regio
having count(distinct persoon_scope) > 1
