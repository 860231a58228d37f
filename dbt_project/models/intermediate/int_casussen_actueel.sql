-- One row per casus: the row of its latest current delivery (a casus opened in one period is usually
-- closed in a later one, whose row supersedes the earlier).
with casusrijen as (
    {{ rijen_van_actuele_leveringen('stg_ingest__casussen', ['regio', 'periode_eind']) }}
)

select * exclude (periode_eind)
from casusrijen
qualify row_number() over (partition by regio, casus_id order by periode_eind desc) = 1
