{# The delivered rows that count: the rows of a staging model that came with a current delivery
   (int_leveringen_actueel decides which), with the delivery's region (and any other delivery columns
   asked for) in front. #}
{% macro rijen_van_actuele_leveringen(staging_model, leveringskolommen=['regio']) %}
select
    {%- for kolom in leveringskolommen %}
    leveringen.{{ kolom }},
    {%- endfor %}
    rijen.*
from {{ ref(staging_model) }} as rijen
inner join {{ ref('int_leveringen_actueel') }} as leveringen on rijen.levering_id = leveringen.levering_id
{% endmacro %}
