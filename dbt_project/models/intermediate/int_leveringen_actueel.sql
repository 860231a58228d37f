-- The current loaded delivery of each region and period: the one place that decides which delivered rows
-- count. A correction replaces the earlier delivery of its region and period (ingest sets is_actueel);
-- a rejected delivery never counts. Every model reads delivered rows through this one (macro
-- rijen_van_actuele_leveringen).
select * exclude (uitkomst, is_actueel)
from {{ ref('stg_ingest__leveringen') }}
where is_actueel and uitkomst = 'geladen'
