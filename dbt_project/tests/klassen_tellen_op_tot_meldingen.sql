-- Every received melding is in exactly one class, and subclasses add up to their class.
select regiocode, periode
from {{ ref('hermelding_regio_periode') }}
where meldingen <> eerste_melding + hermelding + vervolgmelding + niet_ingedeeld
   or hermelding <> hermelding_een_bekend + hermelding_meerdere_bekend
   or vervolgmelding <> vervolg_tijdens_vb + vervolg_na_vb + vervolg_tijdens_monitoring
