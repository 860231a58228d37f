{# D1's count columns and the groups they add up in, from their one home: the var d1_tellingen in
   dbt_project.yml (hermelding/reference.py reads the same list for the disclosure engine). #}

{# The count columns, in order: ['meldingen', 'eerste_melding', ...] #}
{% macro d1_tellingen() -%}
    {{ return(var('d1_tellingen') | map(attribute='kolom') | list) }}
{%- endmacro %}

{# Each total with its parts: {'meldingen': ['eerste_melding', ...], 'hermelding': [...], ...} #}
{% macro d1_groepen() -%}
    {%- set groepen = {} -%}
    {%- for telling in var('d1_tellingen') if telling.get('deel_van') -%}
        {%- if telling['deel_van'] not in groepen -%}{%- do groepen.update({telling['deel_van']: []}) -%}{%- endif -%}
        {%- do groepen[telling['deel_van']].append(telling['kolom']) -%}
    {%- endfor -%}
    {{ return(groepen) }}
{%- endmacro %}

{# The D1 count expressions over the classified meldingen, comma-separated: all of them, or one class or
   subclass each: count(*) as meldingen, count(*) filter (where klasse = 'eerste_melding') as eerste_melding, ... #}
{% macro d1_tellingen_sql() -%}
    {%- for telling in var('d1_tellingen') %}
        count(*)
        {%- if telling.get('klasse') %} filter (where klasse = '{{ telling['klasse'] }}')
        {%- elif telling.get('subklasse') %} filter (where subklasse = '{{ telling['subklasse'] }}')
        {%- endif %} as {{ telling['kolom'] }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
