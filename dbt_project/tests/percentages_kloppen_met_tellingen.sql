-- Numerator <= denominator, a rate equals its counts, the interval lies around the estimate (D1 and D4(a)).
select 'hermelding_regio_periode' as mart, regiocode, periode
from {{ ref('hermelding_regio_periode') }}
where hermelding > meldingen
   or vervolgmelding > meldingen
   or (meldingen > 0 and abs(hermelding_pct - 100.0 * hermelding / meldingen) > 1e-9)
   or (meldingen > 0 and abs(vervolgmelding_pct - 100.0 * vervolgmelding / meldingen) > 1e-9)
   or (meldingen > 0 and not (hermelding_pct_ci_onder <= hermelding_pct and hermelding_pct <= hermelding_pct_ci_boven))
   or (meldingen = 0 and (hermelding_pct is not null or vervolgmelding_pct is not null))
   or hermelding_pct not between 0 and 100
   or vervolgmelding_pct not between 0 and 100

union all

select 'intergenerationeel_regio_periode' as mart, regiocode, periode
from {{ ref('intergenerationeel_regio_periode') }}
where eerder_als_minderjarige > volwassen_personen
   or eerder_als_minderjarige_pct not between 0 and 100
   or (volwassen_personen > 0 and not (eerder_als_minderjarige_pct_ci_onder <= eerder_als_minderjarige_pct
                                       and eerder_als_minderjarige_pct <= eerder_als_minderjarige_pct_ci_boven))
