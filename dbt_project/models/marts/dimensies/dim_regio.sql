-- The reporting regions of the published tables: the 25 Veilig Thuis regions in use (CBS codes and names)
-- and NL01, the sum of the regions in the data: named Nederland only when every region delivered. The one home
-- of these names (hermelding_regio_periode reads them here).
with geleverde_regios as (
    select count(distinct regio) as aantal from {{ ref('int_leveringen_actueel') }}
)

select
    'vt_regio' as regiotype,
    vt_regio as regiocode,
    'Veilig Thuis ' || vt_regionaam as regionaam
from {{ ref('vt_regios') }}
union all
select
    'totaal' as regiotype,
    'NL01' as regiocode,
    case when (select aantal from geleverde_regios) = (select count(*) from {{ ref('vt_regios') }})
        then 'Nederland' else 'Totaal van de geleverde regio''s' end as regionaam
