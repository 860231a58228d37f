{# Schemas are named after the layer (staging, intermediate, marts, referentie), not prefixed. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name else target.schema }}
{%- endmacro %}
