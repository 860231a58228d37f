-- Population per municipality and year: an input file, data/raw/referentie/bevolking.csv.
select
    gemeentecode,
    cast(jaar as integer) as jaar,
    cast(inwoners as integer) as inwoners,
    bron
from read_csv(
    '{{ env_var("HERMELDING_REFERENTIE_DIR", "../data/raw/referentie") }}/bevolking.csv',
    header = true, all_varchar = true
)
