select distinct periode, periodesoort, jaar, periode_start, periode_eind
from {{ ref('int_perioden') }}
