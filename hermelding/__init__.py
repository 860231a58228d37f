"""hermelding: Veilig Thuis deliveries -> ingest -> warehouse -> dbt -> audit -> publish."""

__version__ = "0.1.0"
