-- The data end date per region: the last day of its last current delivery. Follow-up (D2-D4) is
-- censored here.
select regio, max(periode_eind) as gegevens_eind
from {{ ref('int_leveringen_actueel') }}
group by regio
