"""A memo of the disclosure work per connected block of cells, so that a nightly run redoes only the blocks a
delivery changed (issue 14; docs/openbaarmaking.md "Alleen wat veranderde").

Both the suppression engine (hermelding/disclosure_milp.py `kies_onderdrukking`) and the attacker audit
(hermelding/attack.py `intervallen`) work block by block: a block is a connected set of cells, linked by the
relations of the tables, and what is computed for it depends on nothing outside it. The memo stores that result
under a key that is a hash of everything the computation reads for the block: the cells' identities, exact and
shown values, the relations among them (in order), the region hierarchy of its cells, the parameters and engine
constants, the versions of HiGHS and of the code. The same key means the same question, so a stored answer is
exactly what computing it again gives (HiGHS is deterministic on the same input and every random direction is
seeded per block); a block that changed in any way gets another key and is computed. Nothing is ever looked up by
anything but the full key, and an entry that cannot be read is computed again.

The memo is internal, as the build database it sits next to (`<build folder>/disclosure_memo/`, files 0600):
its entries hold suppression patterns and intervals of exact counts. A scratch build (`hermelding gevoeligheid`)
has its own next to its own build database. Entries not used for `BEWAAR_DAGEN` days are removed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

ENV = "HERMELDING_DISCLOSURE_MEMO"  # the memo folder for the dbt Python models (set by hermelding/build.py)
BEWAAR_DAGEN = 30


@lru_cache(maxsize=1)
def code_version() -> str:
    """The version of everything that decides a block's result: the engine's and the attacker's code, and the
    solver. A change to any of them makes every key new."""
    h = hashlib.blake2b(digest_size=16)
    here = Path(__file__).resolve().parent
    for name in ("attack.py", "disclosure_milp.py", "disclosure_memo.py"):
        h.update((here / name).read_bytes())
    for package in ("highspy", "numpy", "scipy", "pandas"):
        try:
            h.update(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{package}=?".encode())
    return h.hexdigest()


class Memo:
    """Stored block results in `folder` (None: a memo that stores nothing). `hits` / `misses` count lookups."""

    def __init__(self, folder: Path | str | None):
        self.folder = Path(folder) if folder else None
        self.hits = 0
        self.misses = 0

    @classmethod
    def from_environment(cls) -> Memo:
        return cls(os.environ.get(ENV) or None)

    def key(self, kind: str, *parts) -> str | None:
        """A hash of `kind`, the code version and `parts` (arrays, sparse matrices, strings, numbers)."""
        if self.folder is None:
            return None
        h = hashlib.blake2b(digest_size=20)
        h.update(kind.encode())
        h.update(code_version().encode())
        for part in parts:
            _feed(h, part)
        return h.hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.npz"

    def get(self, key: str | None, shapes: dict[str, tuple[tuple[int, ...], str]] | None = None
            ) -> dict[str, np.ndarray] | None:
        """The entry stored under `key`, or None. `shapes`: name -> (shape, dtype kind, e.g. 'b' or 'f') that each
        array must have; an entry that does not match (or names another key) is computed again, never trusted."""
        if key is None:
            return None
        path = self._path(key)
        try:
            with np.load(path, allow_pickle=False) as stored:
                result = {name: stored[name] for name in stored.files}
        except FileNotFoundError:
            self.misses += 1
            return None
        except Exception as exc:  # noqa: BLE001 - a damaged entry is computed again, never trusted
            return self._reject(path, type(exc).__name__)
        if str(result.pop("_key", "")) != key:
            return self._reject(path, "it belongs to another key")
        for name, (shape, kind) in (shapes or {}).items():
            if name not in result or result[name].shape != shape or result[name].dtype.kind != kind:
                return self._reject(path, f"'{name}' has not the block's shape")
        try:
            os.utime(path)  # used: kept by `prune` (a read-only memo still serves what it holds)
        except OSError:
            pass
        self.hits += 1
        return result

    def _reject(self, path: Path, why: str) -> None:
        log.warning("Disclosure memo: entry %s cannot be used (%s); the block is computed again.", path.name, why)
        self.misses += 1
        return None

    def put(self, key: str | None, **arrays: np.ndarray) -> None:
        if key is None:
            return
        path = self._path(key)
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")  # 0600
            with os.fdopen(fd, "wb") as f:
                np.savez(f, _key=np.array(key), **arrays)
            os.replace(tmp, path)  # atomic: a concurrent reader sees the whole entry or none
            tmp = None
        except OSError as exc:
            # the memo only saves time: a full disk or a read-only folder must not fail the build
            log.warning("Disclosure memo: cannot store an entry in %s (%s); the run goes on without it.",
                        self.folder, exc)
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)

    def prune(self, days: float = BEWAAR_DAGEN) -> int:
        """Remove entries not used for `days` days (and stray temporary files); returns how many."""
        if self.folder is None or not self.folder.exists():
            return 0
        limit = time.time() - days * 86400
        removed, stuck = 0, 0
        for path in self.folder.glob("*/*"):
            try:
                if path.is_file() and (path.suffix == ".tmp" or path.stat().st_mtime < limit):
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
            except OSError:  # the memo only saves time: an entry that cannot be removed must not stop a build
                stuck += 1
        if stuck:
            log.warning("Disclosure memo: %s old entries in %s cannot be removed (permissions?); the build goes on.",
                        stuck, self.folder)
        return removed


def _feed(h, part) -> None:
    """Add one part to the hash, with its type and shape, so that different inputs never run together."""
    from scipy import sparse

    if part is None:
        h.update(b"N")
    elif sparse.issparse(part):
        m = sparse.csr_matrix(part, copy=True)
        m.sort_indices()
        h.update(f"S{m.shape}".encode())
        for a, dtype in ((m.indptr, np.int64), (m.indices, np.int64), (m.data, np.float64)):
            _feed(h, np.asarray(a, dtype=dtype))
    elif isinstance(part, np.ndarray | list | tuple) and len(part) and isinstance(np.asarray(part).flat[0], str):
        text = "\x1f".join(map(str, part))
        h.update(f"T{len(part)}:".encode())
        h.update(text.encode())
    elif isinstance(part, np.ndarray | list | tuple):
        a = np.asarray(part)
        if a.dtype == object:
            raise TypeError("Disclosure memo: an object array cannot be hashed reliably")
        if a.dtype == bool:
            a = a.astype(np.uint8)
        a = np.ascontiguousarray(a)
        h.update(f"A{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    else:
        h.update(f"V{type(part).__name__}:{part!r}".encode())
