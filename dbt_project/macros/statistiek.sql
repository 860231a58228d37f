{# The one z of every 95% interval in the project (Wilson and Kaplan-Meier alike): the exact standard normal
   quantile 0.975, not the rounded 1.96. #}
{% macro z_95() -%}
    1.959963984540054
{%- endmacro %}

{# Wilson score interval for a proportion x/n, as a percentage (95%, z = z_95()). #}
{% macro wilson_onder(x, n, z=none) -%}
    {%- set z = z or z_95() -%}
    case when {{ n }} > 0 then 100 * (
        ({{ x }} + {{ z }}^2 / 2) / ({{ n }} + {{ z }}^2)
        - {{ z }} * sqrt({{ x }} * ({{ n }} - {{ x }}) / {{ n }} + {{ z }}^2 / 4) / ({{ n }} + {{ z }}^2)) end
{%- endmacro %}

{% macro wilson_boven(x, n, z=none) -%}
    {%- set z = z or z_95() -%}
    case when {{ n }} > 0 then 100 * (
        ({{ x }} + {{ z }}^2 / 2) / ({{ n }} + {{ z }}^2)
        + {{ z }} * sqrt({{ x }} * ({{ n }} - {{ x }}) / {{ n }} + {{ z }}^2 / 4) / ({{ n }} + {{ z }}^2)) end
{%- endmacro %}

{# Months to days for Kaplan-Meier horizons: an average month (365.25 / 12 days). #}
{% macro maanden_in_dagen(maanden) -%}
    cast(round({{ maanden }} * 365.25 / 12) as integer)
{%- endmacro %}

{# A Jinja list var as a SQL values list: (6), (12), (24) #}
{% macro waarden_lijst(lijst) -%}
    {%- for h in lijst %}({{ h }}){% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro %}

{# A count rounded as the disclosure engine rounds it (half up to a multiple of var afronding), so that a rule
   on it reveals nothing beyond the published rounded count. #}
{% macro afgerond(telling) -%}
    ({{ var('afronding') }} * floor({{ telling }} / {{ var('afronding') }} + 0.5))
{%- endmacro %}

{# Every whole month from 1 to the longest of a list of horizons (months): the monthly Kaplan-Meier grid. #}
{% macro maanden_tot_langste(horizons) -%}
    {{ return(range(1, (horizons | max) + 1) | list) }}
{%- endmacro %}
