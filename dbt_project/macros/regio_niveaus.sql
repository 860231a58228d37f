{# The reporting levels, in one place: every municipality row counts for the municipality itself, for its
   (delivering) Veilig Thuis region and for the total of everything in the data. Expects columns
   `gemeentecode` and `regio`; adds `regiotype` and `regiocode` in front. #}
{% macro regio_niveaus(relatie, uitsluiten=[]) -%}
    {%- set rest = "*" if not uitsluiten else "* exclude (" ~ uitsluiten | join(", ") ~ ")" -%}
    select 'gemeente' as regiotype, gemeentecode as regiocode, {{ rest }} from {{ relatie }}
    union all
    select 'vt_regio' as regiotype, regio as regiocode, {{ rest }} from {{ relatie }}
    union all
    select 'totaal' as regiotype, 'NL01' as regiocode, {{ rest }} from {{ relatie }}
{%- endmacro %}
