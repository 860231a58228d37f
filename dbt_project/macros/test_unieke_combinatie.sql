{# A combination of columns is unique (a small local version, so the project needs no package download). #}
{% test unieke_combinatie(model, columns) %}
select {{ columns | join(', ') }}, count(*) as aantal
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
