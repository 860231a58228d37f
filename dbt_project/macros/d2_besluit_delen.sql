{# The besluit codes D2's breakdown by besluit shows (var d2_besluit_delen; every other code is `overig`). A macro,
   so that sqlfluff can lint the models with a placeholder (.sqlfluff). #}
{% macro d2_besluit_delen() %}
    {{ return(var('d2_besluit_delen')) }}
{% endmacro %}
