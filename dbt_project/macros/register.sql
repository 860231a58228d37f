{# A column of the ingest ledger (source ingest.leveringen) if the ledger has it, else a default expression: a
   column added to the ledger by a newer ingest (leveringsoort) is read when present, and an older ledger keeps
   working. #}
{% macro ledger_kolom_of(kolom, standaard) -%}
    {%- set kolommen = adapter.get_columns_in_relation(source('ingest', 'leveringen')) | map(attribute='name') | list -%}
    {{ kolom if kolom in kolommen else standaard }}
{%- endmacro %}

{# The value of a dbt var that must be one of `toegestaan`; a compilation error naming the var otherwise (for
   dbt run by hand: hermelding.toml's values are validated in hermelding/config.py before dbt runs). #}
{% macro keuze_var(naam, toegestaan) -%}
    {%- set waarde = var(naam) -%}
    {%- if waarde not in toegestaan -%}
        {{ exceptions.raise_compiler_error("var " ~ naam ~ " must be one of " ~ toegestaan | join(', ') ~ ", not '" ~ waarde ~ "'") }}
    {%- endif -%}
    {{ return(waarde) }}
{%- endmacro %}
