{{ config(materialized='view') }}
-- Every definition's cohort members in one shape (macro opvolging): the one place that lists which definitions
-- have a follow-up cohort. Read by herhaling_curve and by macro km_op_horizons (herhaling_cohort,
-- herhaling_curve_maand). A view: a plain union of three tables, nothing to compute twice.

select * from {{ ref('int_herhaalde_melding') }}
union all
select * from {{ ref('int_recidive_pleger') }}
union all
select * from {{ ref('int_intergenerationeel_minderjarigen') }}
