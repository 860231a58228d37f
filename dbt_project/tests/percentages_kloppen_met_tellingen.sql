-- Numerator <= denominator, a rate equals its counts, the interval lies around the estimate.
select regiocode, periode
from {{ ref('hermelding_regio_periode') }}
where hermelding > meldingen
   or (meldingen > 0 and abs(hermelding_pct - 100.0 * hermelding / meldingen) > 1e-9)
   or (meldingen > 0 and not (hermelding_pct_ci_onder <= hermelding_pct and hermelding_pct <= hermelding_pct_ci_boven))
   or (meldingen = 0 and hermelding_pct is not null)
   or hermelding_pct not between 0 and 100
