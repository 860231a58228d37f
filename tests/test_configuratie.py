"""Configuration: every value validated when it loads (type and range, naming key and source), every key
required, no unknown key, and no silent fallback to another project folder."""

from __future__ import annotations

import shutil
import tomllib

import pytest
from typer.testing import CliRunner

from hermelding.cli import app
from hermelding.config import ConfigError, load_config
from tests.conftest import REPO

runner = CliRunner()


@pytest.fixture
def projectmap(tmp_path, monkeypatch):
    """A project folder with the repository's hermelding.toml, selected through HERMELDING_ROOT."""
    shutil.copy(REPO / "hermelding.toml", tmp_path / "hermelding.toml")
    monkeypatch.setenv("HERMELDING_ROOT", str(tmp_path))
    for sleutel in tomllib.loads((REPO / "hermelding.toml").read_text()):
        monkeypatch.delenv(f"HERMELDING_{sleutel.upper()}", raising=False)
    return tmp_path


FOUTE_WAARDEN = [
    ("afronding", "0", ">= 1"),
    ("afronding", "2.5", "integer"),
    ("minimum_telling", "0", ">= 1"),
    ("plausibiliteit_factor", "0", "> 1"),
    ("plausibiliteit_factor", "1", "> 1"),
    ("lookback_maanden", "abc", "integer >= 0"),
    ("lookback_maanden", "-1", "integer >= 0"),
    ("horizons_maanden", "[]", "non-empty list of positive integers"),
    ("horizons_pleger", "0,12", "non-empty list of positive integers"),
    ("horizons_intergenerationeel", "[12, \"x\"]", "non-empty list of positive integers"),
    ("bewaar_releases", "0", ">= 1"),
    ("lock_wachttijd_seconden", "-5", ">= 0"),
    ("disclosure_processen", "-1", ">= 0"),
    ("disclosure_processen", "1.5", "integer"),
    ("quarantaine_max_aandeel", "1.5", "<= 1"),
    ("quarantaine_max_aandeel", "-0.1", ">= 0"),
    ("max_aandeel_onderdrukt", "0", "> 0"),
    ("max_aandeel_onderdrukt", "1.5", "<= 1"),
    ("schema_cron", "0 25 * * *", "cron expression"),
    ("schema_cron", "elke nacht", "cron expression"),
    ("tijdzone", "Europe/Atlantis", "time zone"),
    ("marts_dir", "", "path"),
]


@pytest.mark.parametrize(("sleutel", "waarde", "bereik"), FOUTE_WAARDEN)
def test_a_bad_value_is_refused_naming_key_source_and_range(projectmap, monkeypatch, sleutel, waarde, bereik):
    monkeypatch.setenv(f"HERMELDING_{sleutel.upper()}", waarde)
    with pytest.raises(ConfigError) as fout:
        load_config()
    tekst = str(fout.value)
    assert sleutel in tekst and f"env HERMELDING_{sleutel.upper()}" in tekst and bereik in tekst
    uitkomst = runner.invoke(app, ["status"])
    assert uitkomst.exit_code == 2 and sleutel in uitkomst.output


def test_the_same_checks_apply_to_hermelding_toml_and_to_arguments(projectmap):
    toml = projectmap / "hermelding.toml"
    toml.write_text(toml.read_text().replace('marts_dir = "data/marts"', "marts_dir = 5"))
    with pytest.raises(ConfigError, match=r"marts_dir = 5 \(.*hermelding.toml\).*path"):
        load_config()
    with pytest.raises(ConfigError, match="bewaar_releases.*argument"):
        load_config(REPO).with_overrides(bewaar_releases=0)


def test_a_key_missing_from_hermelding_toml_is_named(projectmap):
    toml = projectmap / "hermelding.toml"
    toml.write_text("\n".join(r for r in toml.read_text().splitlines() if not r.startswith("afronding")))
    uitkomst = runner.invoke(app, ["status"])
    assert uitkomst.exit_code == 2
    assert "afronding" in uitkomst.output and "missing" in uitkomst.output
    assert "Traceback" not in uitkomst.output


def test_an_unknown_key_is_refused(projectmap):
    toml = projectmap / "hermelding.toml"
    toml.write_text(toml.read_text() + "\nafrondng = 5\n")
    uitkomst = runner.invoke(app, ["status"])
    assert uitkomst.exit_code == 2 and "afrondng" in uitkomst.output and "unknown" in uitkomst.output


def test_the_repository_configuration_is_valid_and_complete():
    from hermelding.config import KEYS

    config = load_config(REPO)
    assert set(config.values) == set(KEYS)


def test_outside_a_project_folder_nothing_falls_back_to_the_installed_checkout(tmp_path, monkeypatch):
    monkeypatch.delenv("HERMELDING_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="HERMELDING_ROOT"):
        load_config()
    uitkomst = runner.invoke(app, ["status"])
    assert uitkomst.exit_code == 2 and "HERMELDING_ROOT" in uitkomst.output
    assert str(REPO) not in uitkomst.output.replace("\n", "")


def test_hermelding_root_must_hold_the_configuration(tmp_path, monkeypatch):
    monkeypatch.setenv("HERMELDING_ROOT", str(tmp_path))
    with pytest.raises(ConfigError, match="HERMELDING_ROOT"):
        load_config()
