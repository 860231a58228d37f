{# Wilson score interval for a proportion x/n, as a percentage (95%: z = 1.96). #}
{% macro wilson_onder(x, n, z=1.96) -%}
    case when {{ n }} > 0 then 100 * (
        ({{ x }} + {{ z }}^2 / 2) / ({{ n }} + {{ z }}^2)
        - {{ z }} * sqrt({{ x }} * ({{ n }} - {{ x }}) / {{ n }} + {{ z }}^2 / 4) / ({{ n }} + {{ z }}^2)) end
{%- endmacro %}

{% macro wilson_boven(x, n, z=1.96) -%}
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
