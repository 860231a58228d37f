select
    gemeentecode,
    gemeentenaam,
    vt_regio,
    vt_regionaam,
    provincie,
    cast(nullif(geldig_van, '') as date) as geldig_van,
    cast(nullif(geldig_tot, '') as date) as geldig_tot,
    opvolger
from {{ ref('gemeenten') }}
