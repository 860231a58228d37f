"""CBS period codes (`2024HJ01`, `2024KW03`, `2024MM11`, `2024JJ00`) and their date ranges."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

PERIODE_RE = re.compile(r"^(?P<jaar>\d{4})(?P<soort>JJ|HJ|KW|MM)(?P<nr>\d{2})$")
# months per period kind and the allowed period numbers
_SOORTEN = {"JJ": (12, range(1)), "HJ": (6, range(1, 3)), "KW": (3, range(1, 5)), "MM": (1, range(1, 13))}
GRANULARITEIT = {"jaar": "JJ", "halfjaar": "HJ", "kwartaal": "KW", "maand": "MM"}


@dataclass(frozen=True, order=True)
class Periode:
    start: date
    eind: date
    code: str

    @property
    def jaar(self) -> int:
        return self.start.year


def parse_periode(code: str) -> Periode:
    """Parse a CBS period code; ValueError with the reason when it is not one."""
    match = PERIODE_RE.match(code)
    if not match:
        raise ValueError(f"'{code}' is not a CBS period code (YYYYJJ00, YYYYHJnn, YYYYKWnn or YYYYMMnn)")
    jaar, soort, nr = int(match["jaar"]), match["soort"], int(match["nr"])
    maanden, nummers = _SOORTEN[soort]
    if nr not in nummers:
        raise ValueError(f"'{code}': {soort} periods are numbered {nummers.start:02d}-{nummers.stop - 1:02d}")
    eerste_maand = 1 if soort == "JJ" else (nr - 1) * maanden + 1
    start = date(jaar, eerste_maand, 1)
    volgende = eerste_maand + maanden
    eind = (date(jaar + 1, 1, 1) if volgende > 12 else date(jaar, volgende, 1)) - timedelta(days=1)
    return Periode(start, eind, code)


def perioden(van_jaar: int, tot_jaar: int, granulariteit: str) -> list[Periode]:
    """All periods of one kind from January `van_jaar` to December `tot_jaar`, in order."""
    soort = GRANULARITEIT[granulariteit]
    _, nummers = _SOORTEN[soort]
    return [parse_periode(f"{j}{soort}{n:02d}") for j in range(van_jaar, tot_jaar + 1) for n in nummers]


_KORT_RE = re.compile(r"^(?P<jaar>\d{4})(?P<soort>JJ|HJ|KW|MM)(?P<nr>\d{1,2})?$")


def normalise_periode(code: str) -> str:
    """The CBS code of a period written in short form: '2025KW3' -> '2025KW03', '2025hj1' -> '2025HJ01',
    '2025JJ' -> '2025JJ00'. Codes already in CBS form are returned unchanged; anything else is a ValueError
    that names the accepted forms."""
    tekst = str(code).strip().upper()
    match = _KORT_RE.match(tekst)
    if not match or (match["nr"] is None and match["soort"] != "JJ"):
        raise ValueError(f"'{code}' is not a period code: use e.g. 2025KW3 or 2025KW03 (quarter), 2025HJ1 "
                         "(half year), 2025MM11 (month) or 2025JJ00 (year)")
    nr = int(match["nr"] or 0)
    return parse_periode(f"{match['jaar']}{match['soort']}{nr:02d}").code


def normalise_kwartaal(code: str) -> str:
    """Like `normalise_periode`, but only a quarter is accepted ('2025KW3' -> '2025KW03')."""
    genormaliseerd = normalise_periode(code)
    if genormaliseerd[4:6] != "KW":
        raise ValueError(f"'{code}' is not a quarter: use e.g. 2025KW3 or 2025KW03")
    return genormaliseerd


def vorige_periode(code: str, stappen: int = 1) -> str:
    """The period `stappen` periods of the same kind earlier: vorige_periode('2025KW01') == '2024KW04'."""
    periode = parse_periode(code)
    soort = code[4:6]
    if soort == "JJ":
        return f"{periode.jaar - stappen}JJ00"
    per_jaar = len(_SOORTEN[soort][1])
    index = periode.jaar * per_jaar + int(code[6:]) - 1 - stappen
    return f"{index // per_jaar}{soort}{index % per_jaar + 1:02d}"
