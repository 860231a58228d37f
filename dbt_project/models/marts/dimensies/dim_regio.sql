-- The reporting regions of the published tables: the 25 Veilig Thuis regions in use (CBS codes and names)
-- and NL01, the sum of the regions.
select
    'vt_regio' as regiotype,
    vt_regio as regiocode,
    'Veilig Thuis ' || vt_regionaam as regionaam
from {{ ref('vt_regios') }}
union all
select 'totaal', 'NL01', 'Nederland (som van de regio''s in de gegevens)'
