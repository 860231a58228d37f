"""Public variant of intergenerationeel_regio_periode: disclosure control as CBS does (flows/openbaar.py).
Thresholds are dbt vars (afronding, minimum_telling) from hermelding.toml."""

from flows.openbaar import SPECIFICATIES, openbaar, regio_ouders


def model(dbt, session):
    dbt.config(materialized="table")
    frame = dbt.ref("intergenerationeel_regio_periode").df()
    gemeenten = dbt.ref("dim_gemeente").df()
    return openbaar(
        frame,
        SPECIFICATIES["intergenerationeel_regio_periode"],
        afronding=int(dbt.config.get("afronding")),
        minimum=int(dbt.config.get("minimum_telling")),
        regio_ouder=regio_ouders(frame, gemeenten),
    )
