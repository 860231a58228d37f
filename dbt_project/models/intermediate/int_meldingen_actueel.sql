-- Meldingen of the current deliveries, with the region of their delivery.
{{ rijen_van_actuele_leveringen('stg_ingest__meldingen') }}
