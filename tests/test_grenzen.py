"""Boundaries of issue 11 that live outside the dbt definitions: the duplicate-casus quarantine rule of ingest and
the validation of the definition parameters in hermelding.toml. (The definitions' own boundaries are dbt unit
tests in dbt_project/models/*/_*__models.yml; their planted ground truth is checked in test_definities.py.)"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from hermelding.config import ConfigError, load_config
from hermelding.ingest import ingest
from tests.conftest import REPO, kopieer_leveringen

EERSTE = "VT02_2019HJ01"


def test_duplicate_casus_id_keeps_the_first_row_and_quarantines_the_rest(schone_set, config):
    kopieer_leveringen(schone_set[0], config, {EERSTE})
    pad = config.raw_dir / EERSTE / "casussen.csv"
    casussen = pd.read_csv(pad, dtype=str, keep_default_na=False)
    dubbel = casussen.iloc[[2]].assign(datum_start=casussen.datum_start.iloc[2])  # same id, a second row
    pd.concat([casussen, dubbel], ignore_index=True).to_csv(pad, index=False)
    ingest(config)
    with duckdb.connect(str(config.warehouse), read_only=True) as con:
        q = con.execute("select bestandssoort, regel, kolom, regelcode from ingest.quarantaine").df()
        n = con.execute("select count(*) from ingest.casussen where casus_id = ?", [casussen.casus_id.iloc[2]]).fetchone()[0]
    assert q.values.tolist() == [["casussen", len(casussen) + 2, "casus_id", "dubbel_id"]]
    assert n == 1


@pytest.mark.parametrize(("key", "value", "fragment"), [
    ("RECIDIVE_PLEGER_START", "aangifte", "recidive_pleger_start"),
    ("KM_MINIMUM_AT_RISK", "0", "km_minimum_at_risk"),
    ("KM_MINIMUM_AT_RISK", "22", "multiple of afronding"),
    ("KM_MINIMUM_AT_RISK", "5", "at least minimum_telling"),
    ("HISTORIE_INTERGENERATIONEEL_MAANDEN", "0", "historie_intergenerationeel_maanden"),
])
def test_definition_parameters_are_validated_naming_key_and_source(monkeypatch, key, value, fragment):
    monkeypatch.setenv(f"HERMELDING_{key}", value)
    with pytest.raises(ConfigError, match=fragment) as fout:
        load_config(REPO)
    assert f"HERMELDING_{key}" in str(fout.value)


def test_definition_parameter_defaults_are_valid():
    config = load_config(REPO)
    assert config.recidive_pleger_start == "afsluiting"
    assert config.km_minimum_at_risk % config.afronding == 0 and config.km_minimum_at_risk >= config.minimum_telling
