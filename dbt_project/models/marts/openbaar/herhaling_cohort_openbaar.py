"""Public variant of herhaling_cohort: disclosure control as CBS does (flows/openbaar.py).
Thresholds are dbt vars (afronding, minimum_telling) from hermelding.toml."""

from flows.openbaar import SPECIFICATIES, openbaar, regio_ouders


def model(dbt, session):
    dbt.config(materialized="table")
    frame = dbt.ref("herhaling_cohort").df()
    gemeenten = dbt.ref("dim_gemeente").df()
    return openbaar(
        frame,
        SPECIFICATIES["herhaling_cohort"],
        afronding=int(dbt.config.get("afronding")),
        minimum=int(dbt.config.get("minimum_telling")),
        regio_ouder=regio_ouders(frame, gemeenten),
    )
