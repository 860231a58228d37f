"""Configuration: one file (`hermelding.toml`), every key overridable by `HERMELDING_<KEY>`.

This is the only module of the package that touches environment variables: it reads the overrides and
the few settings that only exist in the environment (`ENVIRONMENT_ONLY`), and it sets the variables
that third-party tools read (`tool_environment`). Other modules receive a `Config` and hard-code no
path or threshold.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONFIG_FILE = "hermelding.toml"
PATH_KEYS = ("raw_dir", "referentie_dir", "warehouse", "build_dir", "marts_dir", "grondwaarheid_dir")
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


class ConfigError(ValueError):
    """The configuration is unusable; the message says which key and where it came from."""


def find_root(start: Path | None = None) -> Path:
    """The project root: `HERMELDING_ROOT`, else the nearest folder upwards holding hermelding.toml."""
    if env := os.environ.get("HERMELDING_ROOT"):
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    # Installed package used outside a checkout: fall back to the package's own checkout.
    package_root = Path(__file__).resolve().parent.parent
    if (package_root / CONFIG_FILE).is_file():
        return package_root
    raise ConfigError(
        f"No {CONFIG_FILE} found in {here} or any parent folder. Run from the project folder "
        "or set HERMELDING_ROOT to it."
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
    def expectations_dir(self) -> Path:
        return self.root / "expectations"

    @property
    def seeds_dir(self) -> Path:
        return self.dbt_project_dir / "seeds"

    def with_overrides(self, **overrides: Any) -> Config:
        values = dict(self.values)
        sources = dict(self.sources)
        for key, value in overrides.items():
            if key not in values:
                raise ConfigError(f"Unknown configuration key '{key}'.")
            values[key] = value
            sources[key] = "argument"
        return Config(self.root, values, sources, dict(self.environment))


def _coerce(key: str, raw: str, default: Any) -> Any:
    """Turn an environment string into the type of the value in hermelding.toml."""
    try:
        if isinstance(default, bool):
            return raw.strip().lower() in {"1", "true", "yes", "ja"}
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, list):
            value = json.loads(raw) if raw.strip().startswith("[") else [int(p) for p in raw.split(",")]
            return list(value)
    except ValueError as exc:
        raise ConfigError(
            f"Environment variable HERMELDING_{key.upper()}={raw!r} is not a valid "
            f"{type(default).__name__} ({exc})."
        ) from None
    return raw


def load_config(root: Path | None = None) -> Config:
    root = root.resolve() if root else find_root()
    config_path = root / CONFIG_FILE
    try:
        values = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{config_path} does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path} is not valid TOML: {exc}") from None
    sources = {key: str(config_path) for key in values}
    for key, default in list(values.items()):
        env_key = f"HERMELDING_{key.upper()}"
        if env_key in os.environ:
            values[key] = _coerce(key, os.environ[env_key], default)
            sources[key] = f"env {env_key}"
    for name, value in TOOL_DEFAULTS.items():
        os.environ.setdefault(name, value)
    environment = {key: os.environ[name] for name, key in ENVIRONMENT_ONLY.items() if os.environ.get(name)}
    validate_definition_keys(values, sources)
    return Config(root, values, sources, environment)


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
