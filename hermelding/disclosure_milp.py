"""Secondary suppression by optimisation (as tau-Argus' and sdcTable's optimal methods, simplified).

Given the cells of one linked set of tables (hermelding/attack.py `Model`: cells and their additive
relations), their exact values and which cells are primary (rounded below the minimum), choose the
secondary cells that lose the least information while every primary cell stays protected.

The model, a mixed-integer programme solved with HiGHS per connected block of cells:

- a binary s_c per cell; s_c = 1 for every primary cell;
- minimise  sum_c (value_c + 1) s_c: the number of meldingen/persons hidden, ties to fewer cells
  (an empty cell always costs 1, so no free suppression);
- no relation with exactly one suppressed cell: for every equality relation r and cell c in r,
  sum_{c' in r, c' != c} s_c' >= s_c;
- room per primary cell p and relation r containing p (equality, or inequality with p on the smaller side):
  r alone must let p rise to the minimum, absorbed by the other cells of r within their room (a suppressed
  cell on the same side can fall to 0, one on the other side can rise freely, a shown cell only within its
  rounding interval) and the inequality's own slack (`_capaciteit_rijen`).

These constraints are necessary, not sufficient, for the protection the release audit demands (the
attacker's interval of each primary cell reaches `minimum` and is at least `minimum` wide; no suppressed
cell pinned). So the solution is verified with the attacker's LP (hermelding/attack.py), and every cell that
fails gets a Benders-type cut: at least one of the shown cells that bind its interval in the attacker's LP
(non-zero reduced cost) must be suppressed too, since relaxing only non-binding cells cannot widen it. A small
MILP picks the cheapest cells meeting all cuts; later rounds only add cells, so only the failing cells need
checking again (at most `MAX_RONDES` rounds; on the demo 3). Where the LP names no binding cell (a degenerate
optimum), the cut takes every shown cell sharing a relation with the failing cell. If cells still fail after
`MAX_RONDES` rounds, their whole blocks are suppressed (always safe: no shown count then bounds them) and
verified once more: the engine never fails a build where a safe suppression exists. The report gives HiGHS' bound for round 1
(`optimum_ondergrens`: no choice meeting round 1's constraints hides less) next to the final objective.

Large blocks: at national scale (342 municipalities x 25 regions) each year of D1 is one block of 23,184 cells
(all linked through the national total). A block with more than `attack.MAX_CELLEN_LP` cells is decomposed as tau-Argus' HiTaS (`_hitas`): the subtable of the
total and the regions first, then each region with its municipalities, the cells decided above kept as
decided (backtracking when a lower subtable needs a shown one); the whole block is then verified and cut as
above, with the attacker's check per subtable (hermelding/attack.py `intervallen`, a restriction of the full
LP, so sound).

Fallback: a block where HiGHS finds no feasible solution within `TIJDSLIMIET_SECONDEN` (or a large block
without region hierarchy) is protected by the greedy heuristic (suppress the smallest other cell of
every relation with exactly one suppressed cell until none is left) and then verified and cut the same way.
HiGHS gets the greedy choice as a starting point where it is feasible.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from hermelding import attack

log = logging.getLogger(__name__)

TIJDSLIMIET_SECONDEN = 20.0  # per block and round
MAX_CELLEN_MILP = 60_000  # larger blocks: greedy heuristic (see docs/openbaarmaking.md)
MAX_RONDES = 25  # verify-and-cut rounds
MAX_TERUGKOPPELINGEN = 3  # HiTaS: times the upper levels are redone for cells a lower subtable needs


@dataclass
class Verslag:
    cellen: int = 0
    primair: int = 0
    secundair: int = 0
    waarde_primair: float = 0.0
    waarde_secundair: float = 0.0
    optimum_ondergrens: float | None = None  # HiGHS' bound: no choice meeting round 1's constraints costs less
    doelwaarde_milp: float | None = None  # objective sum (value + 1) of round 1's choice
    doelwaarde: float | None = None  # objective of the final choice (after the verify-and-cut rounds)
    methode: dict[str, int] = field(default_factory=dict)
    rondes: int = 0


def greedy(gelijk: sparse.csr_matrix, waarde: np.ndarray, onderdrukt: np.ndarray,
           verboden: np.ndarray | None = None) -> np.ndarray:
    """Suppress the smallest other cell of every equality relation that has exactly one suppressed cell,
    until none has (vectorised per round); never a `verboden` cell."""
    onderdrukt = onderdrukt.copy()
    verboden = np.zeros(len(onderdrukt), dtype=bool) if verboden is None else verboden
    lid = abs(gelijk).astype(bool).tocsr()
    if lid.shape[0] == 0:
        return onderdrukt
    rel, cel = lid.nonzero()
    while True:
        aantal = lid @ onderdrukt.astype(np.int64)
        enkel = aantal == 1
        kandidaat = enkel[rel] & ~onderdrukt[cel] & ~verboden[cel]
        if not kandidaat.any():
            return onderdrukt
        r, c = rel[kandidaat], cel[kandidaat]
        volgorde = np.lexsort((c, waarde[c], r))  # per relation the smallest, ties: lowest cell number
        r, c = r[volgorde], c[volgorde]
        eerste = np.r_[True, r[1:] != r[:-1]]
        onderdrukt[c[eerste]] = True


def _enkel_rijen(gelijk: sparse.csr_matrix) -> sparse.csr_matrix:
    """Rows sum_{c' in r} s_c' - 2 s_c >= 0 for every (relation r, cell c in r)."""
    lid = abs(gelijk).astype(bool).astype(float).tocsr()
    rel, cel = lid.nonzero()
    rijen = lid[rel]
    correctie = sparse.csr_matrix((np.full(len(cel), -2.0), (np.arange(len(cel)), cel)), shape=rijen.shape)
    return (rijen + correctie).tocsr()


def _capaciteit_rijen(model: attack.Model, waarde: np.ndarray, primair: np.ndarray, afronding: int, minimum: int):
    """For every primary cell p and relation r containing p (equality, or inequality where p is on the
    smaller side): the largest rise of p that r alone allows must reach `minimum`. A rise of p is absorbed
    by the other cells of r, each within its room: a suppressed cell on the same side can fall to 0 (room
    = its value), one on the other side can rise freely; a shown cell only within its rounding interval;
    an inequality's own slack adds. Linear in s: sum_c (room_suppressed_c - room_shown_c) s_c >=
    need_p - slack_r - sum_c room_shown_c. Necessary for the attacker's LP to allow the rise."""
    marge = afronding // 2
    afgerond = afronding * np.floor(waarde / afronding + 0.5)
    nodig = np.maximum(minimum - waarde, 1.0)
    delen = []
    for soort, m in (("gelijk", model.gelijk.tocoo()), ("ongelijk", model.ongelijk.tocoo())):
        speling = m @ waarde if m.shape[0] else np.zeros(0)
        delen.append(pd.DataFrame({"r": m.row.astype(np.int64) + (0 if soort == "gelijk" else model.gelijk.shape[0]),
                                   "c": m.col, "a": m.data, "speling": speling[m.row] if len(m.row) else 0.0,
                                   "gelijk": soort == "gelijk"}))
    lid = pd.concat(delen, ignore_index=True)
    p = lid[primair[lid["c"].to_numpy()] & (lid["gelijk"] | (lid["a"] < 0))]
    paar = p.merge(lid[["r", "c", "a"]], on="r", suffixes=("_p", ""))
    paar = paar[paar["c"] != paar["c_p"]]
    if paar.empty:
        return sparse.csr_matrix((0, len(waarde))), np.zeros(0)
    c, cp = paar["c"].to_numpy(), paar["c_p"].to_numpy()
    zelfde = np.sign(paar["a"].to_numpy()) == np.sign(paar["a_p"].to_numpy())
    n_p = nodig[cp]
    kamer_onderdrukt = np.where(zelfde, np.minimum(waarde[c], n_p), n_p)
    kamer_getoond = np.where(zelfde, waarde[c] - np.maximum(afgerond[c] - marge, 0), afgerond[c] + marge - waarde[c])
    kamer_getoond = np.clip(kamer_getoond, 0, None)
    paar = paar.assign(coef=np.clip(kamer_onderdrukt - kamer_getoond, 0, None), vast=kamer_getoond)
    rij, sleutels = pd.factorize(pd.MultiIndex.from_frame(paar[["r", "c_p"]]))
    per_rij = paar.groupby(rij).agg(vast=("vast", "sum"), speling=("speling", "first"), c_p=("c_p", "first"))
    onder = nodig[per_rij["c_p"].to_numpy()] - per_rij["speling"].to_numpy() - per_rij["vast"].to_numpy()
    m = sparse.csr_matrix((paar["coef"].to_numpy(), (rij, c)), shape=(len(sleutels), len(waarde)))
    nuttig = onder > 0  # relations that allow the rise even with every other cell shown need no row
    return m[nuttig], onder[nuttig]


def _los_op(kosten, vast, rijen: sparse.csr_matrix, onder: np.ndarray, start: np.ndarray, verboden=None):
    """The MILP with HiGHS; returns (solution or None, dual bound)."""
    import highspy

    n = len(kosten)
    a = rijen.tocsc()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, a.shape[0]
    lp.col_cost_ = np.asarray(kosten, dtype=float)
    lp.col_lower_ = vast.astype(float)
    lp.col_upper_ = np.ones(n) if verboden is None else (~np.asarray(verboden, dtype=bool)).astype(float)
    lp.row_lower_ = onder
    lp.row_upper_ = np.full(a.shape[0], highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    h = attack.quiet_highs()
    h.setOptionValue("time_limit", TIJDSLIMIET_SECONDEN)
    h.setOptionValue("mip_rel_gap", 1e-4)
    # no 'threads' option: HiGHS keeps one thread pool per process, and asking another size after it exists
    # makes every later solve fail
    h.passModel(lp)
    oplossing = highspy.HighsSolution()
    oplossing.col_value = start.astype(float).tolist()
    oplossing.value_valid = True
    h.setSolution(oplossing)
    h.run()
    info = h.getInfo()
    if h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit and info.primal_solution_status == 2:
        # said, because it is the one place where the result depends on the machine's speed (docs/openbaarmaking.md
        # "Alleen wat veranderde"): a faster or quieter run could find a cheaper pattern for this block
        log.warning("Disclosure MILP (%s cells): stopped at the time limit (%s s); its best solution so far is used "
                    "(gap %.2g%%). Its pattern can differ between runs on machines of another speed.", n,
                    TIJDSLIMIET_SECONDEN, 100 * info.mip_gap)
    if info.primal_solution_status != 2:  # no feasible solution
        log.warning("Disclosure MILP (%s cells): no solution (%s); the greedy heuristic is used for this block.",
                    n, h.modelStatusToString(h.getModelStatus()))
        return None, None
    return np.asarray(h.getSolution().col_value) > 0.5, float(info.mip_dual_bound)


def _hitas(model: attack.Model, waarde: np.ndarray, primair: np.ndarray, vast: np.ndarray, verboden: np.ndarray, delen,
           afronding: int, minimum: int, methoden: dict[str, int]) -> np.ndarray:
    """Secondary suppression of one large block by HiTaS (as tau-Argus): the subtables top-down (the total
    with the regions, then each region with its municipalities), each protected on its own with the cells an
    upper subtable decided kept as decided: suppressed stays suppressed, and a shown one costs so much that it
    is only suppressed when the subtable cannot be protected otherwise. If that happens, the cell is marked
    suppressed and the upper levels are done again (backtracking). The result is verified afterwards on the
    whole block (`kies_onderdrukking`). `vast`: suppressed whatever happens (primary, a frozen release's);
    `verboden`: never suppressed (shown in the frozen release)."""
    verplicht = np.zeros(len(waarde), dtype=bool)
    for poging in range(1, MAX_TERUGKOPPELINGEN + 2):
        onderdrukt = vast | verplicht
        beslist = np.zeros(len(waarde), dtype=bool)
        omhoog = np.zeros(len(waarde), dtype=bool)
        for _ouder, s, _ouder_cellen in delen:
            getoond_vast = beslist[s] & ~onderdrukt[s]
            kosten = waarde[s] + 1.0
            kosten = np.where(getoond_vast, kosten + kosten.sum() + 1.0, kosten)
            keuze, _ = kies_onderdrukking(attack.deelmodel(model, s), waarde[s], primair[s], afronding, minimum,
                                          verplicht=onderdrukt[s], vast_getoond=verboden[s], kosten=kosten, hitas=False)
            omhoog[s[keuze & getoond_vast]] = True
            onderdrukt[s] |= keuze
            beslist[s] = True
        methoden["HiTaS (deeltabellen)"] = methoden.get("HiTaS (deeltabellen)", 0) + len(delen)
        if not omhoog.any():
            return onderdrukt
        if poging > MAX_TERUGKOPPELINGEN:
            log.warning("Disclosure HiTaS: %s decided cell(s) still needed by a lower subtable after %s rounds; "
                        "kept suppressed, verified on the whole block.", int(omhoog.sum()), poging - 1)
            return onderdrukt
        methoden["HiTaS (terugkoppeling)"] = methoden.get("HiTaS (terugkoppeling)", 0) + 1
        log.info("Disclosure HiTaS: %s cell(s) of an upper subtable needed by a lower one; upper levels again.",
                 int(omhoog.sum()))
        verplicht |= omhoog
    return onderdrukt


def kies_onderdrukking(model: attack.Model, waarde: np.ndarray, primair: np.ndarray, afronding: int,
                       minimum: int, verplicht: np.ndarray | None = None, vast_getoond: np.ndarray | None = None,
                       kosten: np.ndarray | None = None, hitas: bool = True, memo=None) -> tuple[np.ndarray, Verslag]:
    """Suppressed cells (primary and secondary) for the model's cells, and a report. `verplicht`: cells that
    must be suppressed besides the primary ones, `vast_getoond`: cells that are never suppressed (both: a frozen
    release's cells, hermelding/attack.py `met_bevroren`; `verplicht` also: HiTaS' decided cells);
    `kosten`: the objective per cell (default value + 1); `hitas`: decompose a block larger than
    `attack.MAX_CELLEN_LP` along the region hierarchy.

    Each connected block is protected on its own (`_kies_blok`: nothing outside a block bears on it). With `memo`
    (hermelding/disclosure_memo.py) a block asked before with the same input, to the last cell and relation, gets
    the stored choice instead of being solved again: what a nightly run after a new delivery does for the blocks
    the delivery did not change."""
    from hermelding.disclosure_memo import Memo

    waarde = np.asarray(waarde, dtype=float)
    primair = np.asarray(primair, dtype=bool)
    n = len(waarde)
    verboden = np.zeros(n, dtype=bool) if vast_getoond is None else np.asarray(vast_getoond, dtype=bool) & ~primair
    verslag = Verslag(cellen=n, primair=int(primair.sum()), waarde_primair=float(waarde[primair].sum()))
    vast = primair | (np.asarray(verplicht, dtype=bool) if verplicht is not None else False)
    onderdrukt = vast.copy()
    if not vast.any():
        return onderdrukt, verslag
    kosten = waarde + 1.0 if kosten is None else np.asarray(kosten, dtype=float)
    memo = memo if memo is not None else Memo(None)
    blok = attack._blokken(model)
    verslag.optimum_ondergrens, verslag.doelwaarde_milp = 0.0, 0.0
    # each block: from the memo, or computed (in worker processes when there are several large ones)
    blokken, taken, sleutels = [], [], []
    for b, kol, sub in attack.blokmodellen(model, np.unique(blok[vast]), blok):
        sleutel = memo.key("kies_onderdrukking", afronding, minimum, hitas, attack.MAX_CELLEN_LP, attack.RICHTINGEN,
                           MAX_CELLEN_MILP, MAX_RONDES, MAX_TERUGKOPPELINGEN, TIJDSLIMIET_SECONDEN,
                           waarde[kol], primair[kol], vast[kol], verboden[kol], kosten[kol], *attack.memo_delen(sub))
        bewaard = memo.get(sleutel, {"onderdrukt": ((len(kol),), "b")})
        if bewaard is not None:
            # what the computation warned of still holds for its stored result: said again, every build
            attack.log_again(log, [(logging.WARNING, t) for t in bewaard.get("waarschuwingen", np.array([])).tolist()],
                             f" [block {b} unchanged since an earlier build: its stored result is used]")
        else:
            taken.append((sub, waarde[kol], primair[kol], afronding, minimum, vast[kol], verboden[kol], kosten[kol],
                          hitas))
            sleutels.append(sleutel)
        blokken.append((kol, bewaard))
    berekend, in_werkers = attack.per_proces(_bereken_blok, taken, [len(t[1]) for t in taken], attack.processen())
    open_blokken = [i for i, (_, bewaard) in enumerate(blokken) if bewaard is None]
    for i, sleutel, (bewaard, records) in zip(open_blokken, sleutels, berekend, strict=True):
        if in_werkers:
            attack.log_again(log, records)
        memo.put(sleutel, **bewaard)
        blokken[i] = (blokken[i][0], bewaard)
    for kol, bewaard in blokken:
        onderdrukt[kol] = bewaard["onderdrukt"]
        verslag.optimum_ondergrens += float(bewaard["ondergrens"])
        verslag.doelwaarde_milp += float(bewaard["doelwaarde_milp"])
        verslag.rondes = max(verslag.rondes, int(bewaard["rondes"]))
        for naam, aantal in zip(bewaard["methode_naam"].tolist(), bewaard["methode_aantal"].tolist(), strict=True):
            verslag.methode[naam] = verslag.methode.get(naam, 0) + int(aantal)
    if memo.folder is not None:
        log.info("Disclosure: %s block(s) unchanged since an earlier build, taken from the memo; %s computed.",
                 memo.hits, memo.misses)
    secundair = onderdrukt & ~primair
    verslag.secundair = int(secundair.sum())
    verslag.waarde_secundair = float(waarde[secundair].sum())
    verslag.doelwaarde = float(kosten[onderdrukt].sum())
    return onderdrukt, verslag


def _bereken_blok(taak) -> tuple[dict, list[tuple[int, str]]]:
    """One block computed (`_kies_blok`), as the memo stores it, with the log records it gave: its warnings are
    stored with it, so that a block taken from the memo repeats them (an operator must see a time limit or a
    heuristic every night the published table rests on it), and a worker process's records are logged by the
    parent. Module level: a worker process runs it."""
    with attack.logs_kept() as records:
        keuze, deel = _kies_blok(*taak)
    waarschuwingen = [tekst for niveau, tekst in records if niveau >= logging.WARNING]
    return {"onderdrukt": keuze, "ondergrens": np.float64(deel.optimum_ondergrens or 0.0),
            "doelwaarde_milp": np.float64(deel.doelwaarde_milp or 0.0), "rondes": np.int64(deel.rondes),
            "methode_naam": np.array(list(deel.methode), dtype=str),
            "methode_aantal": np.array(list(deel.methode.values()), dtype=np.int64),
            "waarschuwingen": np.array(waarschuwingen, dtype=str)}, records


def _kies_blok(model: attack.Model, waarde: np.ndarray, primair: np.ndarray, afronding: int, minimum: int,
               vast: np.ndarray, verboden: np.ndarray, kosten: np.ndarray, hitas: bool) -> tuple[np.ndarray, Verslag]:
    """`kies_onderdrukking` for one connected block (`model` holds that block only): the optimisation (or HiTaS,
    or the greedy rule), then verify and cut until every cell passes the attacker's LP."""
    n = len(waarde)
    verslag = Verslag(cellen=n, primair=int(primair.sum()), waarde_primair=float(waarde[primair].sum()))
    waar = attack._naam(model, np.arange(n), 0, None)  # table(s) and block, for the operator's log
    onderdrukt = vast.copy()
    afgerond = afronding * np.floor(waarde / afronding + 0.5)
    blok = attack._blokken(model)
    enkel = _enkel_rijen(model.gelijk)
    cap, cap_onder = _capaciteit_rijen(model, waarde, primair, afronding, minimum)
    ondergrens = 0.0
    methoden: dict[str, int] = {}
    # round 1: the optimisation over each block; verified with the attacker's LP
    start = greedy(model.gelijk, waarde, vast, verboden)
    for b in np.unique(blok[vast]):
        kol = np.flatnonzero(blok == b)
        delen = attack.deeltabellen(model, kol) if hitas and len(kol) > attack.MAX_CELLEN_LP else None
        if delen is not None:
            onderdrukt[kol] = _hitas(model, waarde, primair, vast, verboden, delen, afronding, minimum, methoden)[kol]
            methoden["HiTaS"] = methoden.get("HiTaS", 0) + 1
            continue
        if len(kol) > MAX_CELLEN_MILP:
            onderdrukt[kol] = start[kol]
            methoden["heuristiek (blok te groot)"] = methoden.get("heuristiek (blok te groot)", 0) + 1
            continue
        rijen = sparse.vstack([enkel[:, kol], cap[:, kol]]).tocsr()
        onder = np.concatenate([np.zeros(enkel.shape[0]), cap_onder])
        # a row that cannot be met even at its best (its cells fixed shown or suppressed, e.g. a frozen release's
        # or another table's) would make the whole MILP infeasible and leave the block to the greedy rule: ask of
        # it only what it can give; the verification below decides whether that protects the cell
        onder = np.minimum(onder, rijen.maximum(0) @ (~verboden[kol]).astype(float) + rijen.minimum(0) @ vast[kol])
        bruikbaar = rijen.getnnz(axis=1) > 0
        oplossing, grens = _los_op(kosten[kol], vast[kol], rijen[bruikbaar], onder[bruikbaar], start[kol],
                                   verboden[kol])
        if oplossing is None:
            onderdrukt[kol] = start[kol]
            methoden["heuristiek (tijdslimiet)"] = methoden.get("heuristiek (tijdslimiet)", 0) + 1
        else:
            onderdrukt[kol] = oplossing
            ondergrens += grens or 0.0
            methoden["MILP"] = methoden.get("MILP", 0) + 1
    verslag.optimum_ondergrens = ondergrens
    verslag.doelwaarde_milp = float(kosten[onderdrukt].sum())
    # later rounds only add cells, so an interval only widens: a cell that passed keeps passing and only
    # the failing cells, and the cells suppressed in the round, need checking again
    buren = abs(sparse.vstack([model.gelijk, model.ongelijk])).astype(bool).tocsc()  # relation x cell
    buren = (buren.T @ buren).tocsr()  # cell x cell: shares a relation
    te_controleren = np.flatnonzero(onderdrukt)
    for ronde in range(1, MAX_RONDES + 2):
        verslag.rondes = ronde
        getoond = np.where(onderdrukt, np.nan, afgerond)
        iv = attack.intervallen(model, getoond, afronding // 2, te_controleren,
                                eis=np.where(primair[te_controleren], minimum, 1), bindend=True, anker=waarde)
        oordeel = attack.beoordeel(iv, primair[te_controleren], minimum)
        slecht = oordeel[oordeel["vastgepind"] | oordeel["te_smal"]]
        fout = slecht["cel"].to_numpy()
        if len(fout) == 0:
            break
        if ronde > MAX_RONDES:
            raise RuntimeError(f"Disclosure: {len(fout)} cell(s) under-protected even with their whole block of "
                               "related cells suppressed; the table specification contradicts itself. Nothing "
                               "published; report this with the build log.")
        if ronde == MAX_RONDES:
            # last resort, always safe: every cell of the blocks of the failing cells suppressed (then no shown
            # count bounds them: each is anything >= 0 the relations allow)
            extra = np.isin(blok, np.unique(blok[fout])) & ~onderdrukt & ~verboden
            onderdrukt |= extra
            methoden["heuristiek (blok geheel onderdrukt)"] = len(np.unique(blok[fout]))
            log.warning("Disclosure (%s): %s cell(s) still under-protected after %s rounds; their blocks are "
                        "suppressed entirely (%s more cells).", waar, len(fout), ronde - 1, int(extra.sum()))
            te_controleren = np.union1d(fout, np.flatnonzero(extra))
            continue
        # per failing cell at least one of the shown cells that bind its interval in the attacker's LP
        # must be suppressed (a Benders-type cut: relaxing only non-binding cells cannot widen it); where the
        # LP names none (a degenerate optimum), the cut takes every shown cell sharing a relation with it;
        # the cheapest cells meeting all cuts by a small MILP
        sneden = []
        for cel, bindend in zip(fout, slecht["bindend"], strict=True):
            bindend = np.asarray(bindend, dtype=int)
            bindend = bindend[~verboden[bindend]]
            if len(bindend) == 0:
                bindend = buren[cel].indices[~onderdrukt[buren[cel].indices] & ~verboden[buren[cel].indices]]
            if len(bindend) == 0:  # every related cell already suppressed: widen to the whole block
                bindend = np.flatnonzero((blok == blok[cel]) & ~onderdrukt & ~verboden)
            if len(bindend):
                sneden.append(np.asarray(bindend, dtype=int))
        if not sneden:  # nothing left to suppress in these blocks; the next round reports it
            te_controleren = fout
            continue
        kol = np.unique(np.concatenate(sneden))
        positie = pd.Series(np.arange(len(kol)), index=kol)
        rijen = sparse.csr_matrix(
            (np.ones(sum(len(k) for k in sneden)),
             (np.repeat(np.arange(len(sneden)), [len(k) for k in sneden]),
              positie.reindex(np.concatenate(sneden)).to_numpy())), shape=(len(sneden), len(kol)))
        oplossing, _ = _los_op(kosten[kol], np.zeros(len(kol), dtype=bool), rijen, np.ones(len(sneden)),
                               np.ones(len(kol), dtype=bool))
        if oplossing is None:
            oplossing = np.ones(len(kol), dtype=bool)
        onderdrukt[kol[oplossing]] = True
        # the cells suppressed now were never checked: one could be pinned by the cells still shown
        te_controleren = np.union1d(fout, kol[oplossing])
        log.info("Disclosure (%s) round %s: %s cell(s) not yet protected; %s more suppressed.", waar, ronde,
                 len(fout), int(oplossing.sum()))
    verslag.methode = methoden
    secundair = onderdrukt & ~primair
    verslag.secundair = int(secundair.sum())
    verslag.waarde_secundair = float(waarde[secundair].sum())
    verslag.doelwaarde = float(kosten[onderdrukt].sum())
    return onderdrukt, verslag
