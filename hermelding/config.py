"""Configuration: one file (`hermelding.toml`), every key overridable by `HERMELDING_<KEY>`.

This is the only module of the package that touches environment variables: it reads the overrides and
the few settings that only exist in the environment (`ENVIRONMENT_ONLY`), and it sets the variables
that third-party tools read (`tool_environment`). Other modules receive a `Config` and hard-code no
path or threshold.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

CONFIG_FILE = "hermelding.toml"
# Settings that are not part of hermelding.toml: environment variable -> name in Config.environment.
ENVIRONMENT_ONLY = {
    "HERMELDING_CRASHTEST": "crashtest",  # test hook: kill the process at a named point of publication
    "PREFECT_API_URL": "prefect_api_url",  # a Prefect server, needed for schedules (`hermelding serveer`)
}
# Third-party tools: no telemetry (there is no network here, and none is needed).
TOOL_DEFAULTS = {
    "GX_ANALYTICS_ENABLED": "False",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}


@dataclass(frozen=True)
class Key:
    """One configuration key: its kind and the allowed range (`minimum`, `above`: strictly greater)."""

    kind: str  # path | text | int | number | horizons | cron | timezone
    minimum: float | None = None
    above: float | None = None
    maximum: float | None = None

    def allowed(self) -> str:
        kind = {"path": "a path (text)", "text": "text", "int": "an integer", "number": "a number",
                "horizons": "a non-empty list of positive integers (months)", "cron": "a cron expression "
                "with 5 fields, e.g. '0 2 * * *'", "timezone": "an IANA time zone, e.g. 'Europe/Amsterdam'"}[self.kind]
        bounds = [f">= {self.minimum:g}" if self.minimum is not None else "",
                  f"> {self.above:g}" if self.above is not None else "",
                  f"<= {self.maximum:g}" if self.maximum is not None else ""]
        return " ".join([kind, " and ".join(b for b in bounds if b)]).strip()


# The one schema of hermelding.toml: every key must be in the file, no other key may be.
KEYS: dict[str, Key] = {
    "raw_dir": Key("path"),
    "referentie_dir": Key("path"),
    "warehouse": Key("path"),
    "build_dir": Key("path"),
    "marts_dir": Key("path"),
    "grondwaarheid_dir": Key("path"),
    "quarantaine_max_aandeel": Key("number", minimum=0, maximum=1),
    "lookback_maanden": Key("int", minimum=0),
    "horizons_maanden": Key("horizons"),
    "horizons_pleger": Key("horizons"),
    "horizons_intergenerationeel": Key("horizons"),
    "historie_intergenerationeel_maanden": Key("int", minimum=1),
    "recidive_pleger_start": Key("text"),  # one of RECIDIVE_PLEGER_STARTS (validate_definition_keys)
    "km_minimum_at_risk": Key("int", minimum=1),  # and a multiple of afronding >= minimum_telling (idem)
    "afronding": Key("int", minimum=1),
    "minimum_telling": Key("int", minimum=1),
    "max_aandeel_onderdrukt": Key("number", above=0, maximum=1),
    "disclosure_processen": Key("int", minimum=0),
    "bewaar_releases": Key("int", minimum=1),
    "plausibiliteit_factor": Key("number", above=1),
    "intern_groep": Key("text"),
    "schema_cron": Key("cron"),
    "tijdzone": Key("timezone"),
    "lock_wachttijd_seconden": Key("number", minimum=0),
}
PATH_KEYS = tuple(k for k, spec in KEYS.items() if spec.kind == "path")


class ConfigError(ValueError):
    """The configuration is unusable; the message says which key and where it came from."""


def find_root(start: Path | None = None) -> Path:
    """The project root: `HERMELDING_ROOT`, else the nearest folder upwards holding hermelding.toml.

    There is deliberately no fallback to the checkout the package was installed from: a command run in
    the wrong folder must not read or write another project's data."""
    if env := os.environ.get("HERMELDING_ROOT"):
        root = Path(env).resolve()
        if not (root / CONFIG_FILE).is_file():
            raise ConfigError(f"HERMELDING_ROOT={env} holds no {CONFIG_FILE}: point HERMELDING_ROOT at the project "
                              "folder (the one with hermelding.toml).")
        return root
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise ConfigError(
        f"No {CONFIG_FILE} found in {here} or any parent folder: this is not a hermelding project folder. "
        "Run the command from the project folder, or set HERMELDING_ROOT to it "
        "(e.g. HERMELDING_ROOT=/srv/hermelding)."
    )


@dataclass(frozen=True)
class Config:
    root: Path
    values: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)  # ENVIRONMENT_ONLY settings that are set

    def __getattr__(self, key: str) -> Any:
        values = object.__getattribute__(self, "values")
        if key not in values:
            raise AttributeError(key)
        value = values[key]
        if key in PATH_KEYS:
            path = Path(value)
            return path if path.is_absolute() else object.__getattribute__(self, "root") / path
        return value

    @property
    def dbt_project_dir(self) -> Path:
        return self.root / "dbt_project"

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's target folder (manifest, run results, compiled SQL) for this project's builds: beside the build
        database, not in the code's dbt_project/, so two projects on one checkout (the nightly run, a benchmark,
        tests running in parallel) never write the same files."""
        return self.build_dir / "dbt" / "target"

    @property
    def dbt_log_dir(self) -> Path:
        return self.build_dir / "dbt" / "logs"

    @property
    def expectations_dir(self) -> Path:
        return self.root / "expectations"

    @property
    def seeds_dir(self) -> Path:
        return self.dbt_project_dir / "seeds"

    def with_overrides(self, **overrides: Any) -> Config:
        values = dict(self.values)
        sources = dict(self.sources)
        for key, value in overrides.items():
            if key not in KEYS:
                raise ConfigError(f"Unknown configuration key '{key}' (argument).")
            values[key] = validate(key, value, "argument")
            sources[key] = "argument"
        return Config(self.root, values, sources, dict(self.environment))


def _from_environment(key: str, raw: str) -> Any:
    """Turn an environment string into the kind of value the key holds (validated afterwards)."""
    kind = KEYS[key].kind
    text = raw.strip()
    try:
        if kind == "int":
            return int(text)
        if kind == "number":
            return float(text)
        if kind == "horizons":
            return json.loads(text) if text.startswith("[") else [int(p) for p in text.split(",")]
    except ValueError:
        return raw  # validate() names the key, the source and the allowed values
    return raw


def validate(key: str, value: Any, source: str) -> Any:
    """The value if it is of the key's kind and in its range; else ConfigError naming key, source, range."""
    spec = KEYS[key]

    def refuse(reason: str = "") -> ConfigError:
        return ConfigError(f"{key} = {value!r} ({source}) is not allowed{reason}: {key} must be {spec.allowed()}.")

    if spec.kind in ("path", "text"):
        if not isinstance(value, str) or (spec.kind == "path" and not value.strip()):
            raise refuse()
        return value
    if spec.kind == "horizons":
        if (not isinstance(value, list) or not value
                or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)):
            raise refuse()
        return list(value)
    if spec.kind == "cron":
        from cronsim import CronSim, CronSimError

        if not isinstance(value, str) or len(value.split()) != 5:
            raise refuse()
        try:
            CronSim(value, datetime.now())
        except CronSimError as exc:
            raise refuse(f" ({exc})") from None
        return value
    if spec.kind == "timezone":
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise refuse(" (unknown time zone)") from None
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise refuse()
    if spec.kind == "int" and not (isinstance(value, int) or float(value).is_integer()):
        raise refuse()
    if not math.isfinite(value):
        raise refuse()
    if ((spec.minimum is not None and value < spec.minimum) or (spec.above is not None and value <= spec.above)
            or (spec.maximum is not None and value > spec.maximum)):
        raise refuse()
    return int(value) if spec.kind == "int" else value


def load_config(root: Path | None = None) -> Config:
    root = root.resolve() if root else find_root()
    config_path = root / CONFIG_FILE
    try:
        values = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{config_path} does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path} is not valid TOML: {exc}") from None
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        raise ConfigError(f"{config_path}: unknown key(s) {', '.join(unknown)} (a typo?). Allowed keys: "
                          f"{', '.join(KEYS)}.")
    missing = [key for key in KEYS if key not in values]
    if missing:
        raise ConfigError(f"{config_path}: key(s) {', '.join(missing)} missing. Every key must be set in "
                          f"{CONFIG_FILE} (e.g. {missing[0]} = ..., {KEYS[missing[0]].allowed()}); "
                          "an environment variable can only override a key that is there.")
    sources = {key: str(config_path) for key in values}
    for key in KEYS:
        env_key = f"HERMELDING_{key.upper()}"
        if env_key in os.environ:
            values[key] = _from_environment(key, os.environ[env_key])
            sources[key] = f"env {env_key}"
        values[key] = validate(key, values[key], sources[key])
    for name, value in TOOL_DEFAULTS.items():
        os.environ.setdefault(name, value)
    environment = {key: os.environ[name] for name, key in ENVIRONMENT_ONLY.items() if os.environ.get(name)}
    validate_definition_keys(values, sources)
    return Config(root, values, sources, environment)


def require_folder(config: Config, key: str) -> Path:
    """A folder the command needs (e.g. raw_dir): missing is an error naming the key, never 'nothing to do'."""
    pad = getattr(config, key)
    if not pad.is_dir():
        raise ConfigError(f"{key} = {pad} ({config.sources.get(key, CONFIG_FILE)}) does not exist or is not a "
                          f"folder. Create it, or correct {key} in {CONFIG_FILE} / HERMELDING_{key.upper()}.")
    return pad


RECIDIVE_PLEGER_STARTS = ("afsluiting", "melding")


def validate_definition_keys(values: dict[str, Any], sources: dict[str, str]) -> None:
    """The definition parameters of issue 11 (D3 start, Kaplan-Meier minimum at risk, D4(a) history): a wrong
    value fails here, naming the key and where it came from, instead of deep inside dbt."""
    def fout(key: str, wat: str) -> ConfigError:
        return ConfigError(f"Configuration key '{key}' = {values.get(key)!r} (from {sources.get(key, '?')}) {wat}.")

    if "recidive_pleger_start" in values and values["recidive_pleger_start"] not in RECIDIVE_PLEGER_STARTS:
        raise fout("recidive_pleger_start", f"must be one of {', '.join(RECIDIVE_PLEGER_STARTS)}")
    for key in ("km_minimum_at_risk", "historie_intergenerationeel_maanden"):
        if key in values and (isinstance(values[key], bool) or not isinstance(values[key], int) or values[key] < 1):
            raise fout(key, "must be a whole number of at least 1")
    if "km_minimum_at_risk" in values:
        afronding, minimum = values.get("afronding", 1), values.get("minimum_telling", 0)
        if values["km_minimum_at_risk"] % afronding or values["km_minimum_at_risk"] < minimum:
            raise fout("km_minimum_at_risk", f"must be a multiple of afronding ({afronding}) and at least "
                                             f"minimum_telling ({minimum}): it is compared with the rounded count")


@contextmanager
def tool_environment(settings: dict[str, str]) -> Iterator[None]:
    """Set environment variables for a tool run in-process (dbt reads its profile's paths this way),
    and put the previous values back afterwards."""
    previous = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
