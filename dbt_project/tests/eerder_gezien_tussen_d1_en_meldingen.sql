-- "Ooit eerder gezien": at least D1's hermeldingen plus vervolgmeldingen (seen before by definition) and at most
-- the meldingen, in every region and year (the relations the disclosure engine declares).
select regiotype, regiocode, periode
from {{ ref('eerder_gezien_regio_periode') }}
where eerder_gezien < hermelding + vervolgmelding or eerder_gezien > meldingen
