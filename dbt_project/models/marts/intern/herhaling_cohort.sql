-- D2 herhaalde_melding, D3 recidive_pleger and D4(b) intergenerationeel (each defined in its own intermediate
-- model) as Kaplan-Meier cumulative percentages per region x cohort period x definition x configured horizon
-- (hermelding.toml: horizons_maanden, horizons_pleger, horizons_intergenerationeel), read from the curve
-- herhaling_curve (macro km_op_horizons). Every value is kept here; `publiceerbaar` says whether a percentage
-- may be shown, `reden_niet_publiceerbaar` why not.
{{ km_op_horizons({
    'herhaalde_melding': var('horizons_maanden'),
    'recidive_pleger': var('horizons_pleger'),
    'intergenerationeel': var('horizons_intergenerationeel'),
}) }}
