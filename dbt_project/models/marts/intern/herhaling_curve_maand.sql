-- D2 herhaalde_melding and D3 recidive_pleger: the Kaplan-Meier curve (herhaling_curve) read at every whole month
-- from 1 to the definition's longest configured horizon, with the same columns and rules as herhaling_cohort
-- (macro km_op_horizons): at a configured horizon the row equals herhaling_cohort's. The source of the public
-- monthly curve herhaling_curve_maand_openbaar.
{{ km_op_horizons({
    'herhaalde_melding': maanden_tot_langste(var('horizons_maanden')),
    'recidive_pleger': maanden_tot_langste(var('horizons_pleger')),
}) }}
