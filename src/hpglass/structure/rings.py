"""Ring statistics of a bond network: King, Guttman and primitive (shortest-path) rings, R.I.N.G.S.-style output.

The network is the bond graph of one frame (a :class:`~hpglass.structure.neighbors.NeighbourList`, usually the
bonds of :func:`hpglass.structure.bonds.bonded`). Three definitions of a ring, as in R.I.N.G.S. (Le Roux & Jund,
Comput. Mater. Sci. 49, 70 (2010)):

``"king"`` — King, Nature 213, 1112 (1967): for every atom c and every pair (n1, n2) of its bonded neighbours, the
    shortest path n1 → n2 that passes neither through c nor through any other neighbour of c; the path closed by
    the bonds n2–c–n1 is a ring. Every shortest path is kept (several rings can close one pair). Banning the other
    neighbours of c is what R.I.N.G.S. does (its King search marks the whole first shell of c as visited before
    looking for the path; Atomes ``rings-king.F90``) and what vitrum does; it keeps rings chord-free at c. A
    consequence to know: on a square lattice the two opposite neighbours of c close an 8-ring around c's
    neighbours, so King's criterion finds 4- *and* 8-rings there (one of each per atom).
``"guttman"`` — Guttman, J. Non-Cryst. Solids 116, 145 (1990): for every bond i–j, the shortest path i → j that
    does not use that bond; path + bond is a ring. Every shortest path is kept.
``"primitive"`` — primitive (irreducible) rings, Goetzke & Klein, J. Non-Cryst. Solids 127, 215 (1991): rings that
    cannot be decomposed into two smaller rings, i.e. that have no *shortcut* (a path between two ring atoms shorter
    than the shorter arc of the ring between them). This is the test R.I.N.G.S. applies and the same set as
    Franzblau's shortest-path (SP) rings (Phys. Rev. B 44, 4925 (1991)): every pair of ring atoms is joined by a
    shortest path along the ring — what matscipy.rings counts.

A ring is counted once however many searches find it (two rings are the same when they consist of the same atoms
in the same lattice images, up to a lattice translation of the whole ring). ``max_size`` is the largest ring
looked for (number of atoms); King and Guttman rings longer than that are not found, as in R.I.N.G.S.

**Periodic boundaries — rings must close in real space.** The search runs on the *periodic lift* of the bond
graph: a node is an atom together with its lattice image (the integer translation ``shift`` of the neighbour
list, summed along a path), so a path that comes back to its start atom in another image has not come back — it
has crossed the cell, and such a loop through the periodic boundary is **not a ring**. Equivalently: the bond
vectors of every reported ring sum to zero (the sum of the ``shift`` vectors of its bonds is zero). Searching on
the lift rather than on the cell's graph also means that (i) shortest paths are real-space shortest paths (a
shorter loop that wraps the cell never hides a real ring — the King/Guttman search finds the shortest ring that
*closes*, as R.I.N.G.S. and vitrum do by rejecting wrapping candidates and searching on), (ii) a shortcut through
the boundary does not disqualify a primitive ring, and (iii) a ring may contain the same atom twice in two
images when the cell is smaller than the ring (it is still one ring). In a cell wider than the longest ring
(≳ max_size × bond length / 2) the lift and the cell's graph give the same rings; in smaller cells the peers
(which search the cell's graph) can differ — hpglass's answer is the one of the infinite periodic network.

The three kinds of rings have no chord, so a ring is also fixed by its set of atoms — the identity R.I.N.G.S. and
vitrum use when they remove duplicates.

**ABAB (chemical order)** — ``abab=True`` searches only rings whose atoms alternate between two species (as
R.I.N.G.S.'s ABAB option): paths may only step to an atom of a different species, i.e. the search runs on the
heteropolar bonds only (homopolar bonds are neither in the rings nor shortcuts). ABAB rings are even. With three
or more species, rings that do not alternate between exactly two of them are dropped after the search
(R.I.N.G.S. instead restricts its path to the two species of the first bond; for a binary such as Sb₂Se₃ the two
are the same).

**Output and normalisations** (R.I.N.G.S.'s, Le Roux & Jund 2010; for one frame of N atoms):

- ``counts`` R_C(n): number of distinct rings of n atoms in the cell.
- ``per_atom`` R_C(n)/N: rings per atom (R.I.N.G.S.'s "R_N"/"R_C/N"). Diamond: 2 six-rings per atom under
  every criterion (each atom *belongs to* 12 six-rings; each six-ring has 6 atoms: 12/6 = 2).
- ``membership`` n·R_C(n)/N: the mean number of n-rings an atom belongs to (diamond: 12).
- ``p_n`` P_N(n): fraction of the N atoms from which the search finds at least one n-ring — for King the atom
  is the centre c of the triple, for Guttman an end of the bond, for primitive rings any atom of the ring.
- ``p_max`` / ``p_min``: fraction of the N atoms for which n is the largest / smallest ring size found from
  them (atoms with no ring count in neither; both sum to the fraction of atoms with a ring).

**Algorithm.** Dangling atoms are pruned first (rings live in the 2-core of the graph). Primitive rings: from every
root atom r, a breadth-first search (BFS) to depth ⌊max_size/2⌋ over atoms with index ≥ r (each ring is found
once, from its lowest-index atom); two shortest paths r → v that share no atom close an even ring at v, two
shortest paths to the two ends of a bond u–w at equal depth close an odd ring; the candidate is kept if it has no
shortcut. It suffices to test the pairs of ring atoms that are ⌊n/2⌋ apart along the ring (any shortcut between
two ring atoms shortens the distance of such an antipodal pair), with distances looked up in precomputed BFS
balls of depth ⌊max_size/2⌋ − 1 around every atom. King and Guttman: one BFS per (centre, first neighbour) /
per bond, stopped as soon as the target(s) are reached, all shortest paths enumerated from the BFS predecessor
lists. The kernels are compiled with numba when it is installed (cached on first use, ~15 s once); without numba
the same code runs as plain Python — same rings, ~30–70× slower (3000 atoms: 2–6 s instead of 0.05–0.1 s).

**Peers** (tests/structure/test_rings.py): per-size counts identical to matscipy (primitive = its shortest-path
rings) and to vitrum (King, Guttman; primitive with ``repeat=(1, 1, 1)``) on random Sb₂Se₃ packings of 200 and 3000
atoms (20000 for matscipy), on their ABAB variants (matscipy on the Sb–Se pairs only, vitrum with
``bonds=[("Sb", "Se")]``) and on square, triangular and bcc lattices. matscipy's walkers stop ⌊(maxlength − 1)/2⌋
bonds from the root, so its maxlength must be max_size + 1 to count the max_size-rings (and
``matscipy.rings.ring_statistics`` with a maxlength fails on a numpy broadcast in 1.3.1: its C routine is called
directly). Both peers search the cell's graph, so in a cell smaller than the rings they differ from the periodic
network: in the 8-atom cubic diamond cell matscipy, vitrum's King search and its primitive search on the cell
(``repeat=(1, 1, 1)``) find no ring, hpglass the 2 six-rings per atom of diamond (vitrum's Guttman search and its
primitive search on its default 3×3×3 replica find them too).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .neighbors import NeighbourList, check_frame

__all__ = ["CRITERIA", "HAVE_NUMBA", "RingResult", "ring_statistics"]

CRITERIA = ("primitive", "king", "guttman")

try:  # numba is optional: the kernels run as plain Python without it (same rings, ~30–70x slower)
    from numba import njit as _numba_njit

    HAVE_NUMBA = True

    def _njit(func):
        return _numba_njit(cache=True, nogil=True)(func)

except ImportError:  # pragma: no cover - exercised by the subprocess test
    HAVE_NUMBA = False

    def _njit(func):
        return func


#: lattice-image components are stored in 8 bits (offset 128) in the node keys
_SHIFT_LIMIT = 127


def _version() -> str:
    from .. import __version__

    return __version__


# ----------------------------------------------------------------------------------------------------------------
# compiled kernels (numba) — nodes of the periodic lift are (atom, image); keys pack them into one int64
# ----------------------------------------------------------------------------------------------------------------

# workspace columns of a BFS node
_ATOM, _S0, _S1, _S2, _DIST, _KIND, _NEXT, _NPATH, _PHEAD, _ORDER = range(10)
_NCOL = 10


@_njit
def _encode(a, s0, s1, s2):
    return (a << 24) | ((s0 + 128) << 16) | ((s1 + 128) << 8) | (s2 + 128)


@_njit
def _grow1(arr, need):
    n = arr.shape[0]
    if need <= n:
        return arr
    out = np.empty(max(need, 2 * n, 16), arr.dtype)
    out[:n] = arr
    return out


@_njit
def _grow2(arr, need):
    n = arr.shape[0]
    if need <= n:
        return arr
    out = np.empty((max(need, 2 * n, 16), arr.shape[1]), arr.dtype)
    out[:n] = arr
    return out


@_njit
def _lookup(stamp, head, sid, ws, b, v0, v1, v2):
    """Node index of (atom b, image v) in the current BFS, or -1."""
    if stamp[b] != sid:
        return -1
    w = head[b]
    while w >= 0:
        if ws[w, _S0] == v0 and ws[w, _S1] == v1 and ws[w, _S2] == v2:
            return w
        w = ws[w, _NEXT]
    return -1


@_njit
def _bfs(first, nbr, sh, src, s0, s1, s2, max_depth, min_atom, pre, n_pre, ban, stamp, head, sid, ws, pred,
         want_pred):
    """Breadth-first search on the periodic lift from node (src, s), to ``max_depth`` bonds.

    ``pre`` rows (atom, s0, s1, s2, kind) are nodes placed before the search: kind 1 = banned (never entered),
    kind 2 = target (entered, given a distance and predecessors, never expanded); the search stops after the
    layer in which the last target was reached. Atoms below ``min_atom`` are not entered. ``ban`` = (a, b, s0, s1,
    s2) removes the bond a(0)–b(s) (a < 0: none). Returns (status, n_nodes, n_order): status 1 / 2 = the node / the
    predecessor workspace is too small (grow and call again).
    """
    cap = ws.shape[0]
    pcap = pred.shape[0]
    n = 0
    npred = 0
    n_targets = 0
    for k in range(n_pre):
        a = pre[k, 0]
        if stamp[a] != sid:
            stamp[a] = sid
            head[a] = -1
        ws[n, _ATOM] = a
        ws[n, _S0] = pre[k, 1]
        ws[n, _S1] = pre[k, 2]
        ws[n, _S2] = pre[k, 3]
        ws[n, _DIST] = -1
        ws[n, _KIND] = pre[k, 4]
        ws[n, _NEXT] = head[a]
        ws[n, _NPATH] = 0
        ws[n, _PHEAD] = -1
        head[a] = n
        n += 1
        if pre[k, 4] == 2:
            n_targets += 1
    stop_on_targets = n_targets > 0
    if stamp[src] != sid:
        stamp[src] = sid
        head[src] = -1
    ws[n, _ATOM] = src
    ws[n, _S0] = s0
    ws[n, _S1] = s1
    ws[n, _S2] = s2
    ws[n, _DIST] = 0
    ws[n, _KIND] = 0
    ws[n, _NEXT] = head[src]
    ws[n, _NPATH] = 1
    ws[n, _PHEAD] = -1
    head[src] = n
    ws[0, _ORDER] = n
    n += 1
    n_order = 1
    lo = 0
    hi = 1
    depth = 0
    ban_a = ban[0]
    ban_b = ban[1]
    while lo < hi and depth < max_depth:
        for q in range(lo, hi):
            u = ws[q, _ORDER]
            if ws[u, _KIND] == 2:
                continue
            a = ws[u, _ATOM]
            u0 = ws[u, _S0]
            u1 = ws[u, _S1]
            u2 = ws[u, _S2]
            for e in range(first[a], first[a + 1]):
                b = nbr[e]
                if b < min_atom:
                    continue
                v0 = u0 + sh[e, 0]
                v1 = u1 + sh[e, 1]
                v2 = u2 + sh[e, 2]
                if ban_a >= 0:
                    if (a == ban_a and b == ban_b and u0 == 0 and u1 == 0 and u2 == 0
                            and v0 == ban[2] and v1 == ban[3] and v2 == ban[4]):
                        continue
                    if (a == ban_b and b == ban_a and v0 == 0 and v1 == 0 and v2 == 0
                            and u0 == ban[2] and u1 == ban[3] and u2 == ban[4]):
                        continue
                v = _lookup(stamp, head, sid, ws, b, v0, v1, v2)
                if v < 0:
                    if n >= cap:
                        return 1, n, n_order
                    if stamp[b] != sid:
                        stamp[b] = sid
                        head[b] = -1
                    v = n
                    ws[v, _ATOM] = b
                    ws[v, _S0] = v0
                    ws[v, _S1] = v1
                    ws[v, _S2] = v2
                    ws[v, _DIST] = depth + 1
                    ws[v, _KIND] = 0
                    ws[v, _NEXT] = head[b]
                    ws[v, _NPATH] = 0
                    ws[v, _PHEAD] = -1
                    head[b] = v
                    n += 1
                    ws[n_order, _ORDER] = v
                    n_order += 1
                elif ws[v, _KIND] == 1:
                    continue
                elif ws[v, _DIST] < 0:  # a target, reached now
                    ws[v, _DIST] = depth + 1
                    ws[n_order, _ORDER] = v
                    n_order += 1
                    n_targets -= 1
                if ws[v, _DIST] == depth + 1:
                    ws[v, _NPATH] += ws[u, _NPATH]
                    if want_pred:
                        if npred >= pcap:
                            return 2, n, n_order
                        pred[npred, 0] = u
                        pred[npred, 1] = ws[v, _PHEAD]
                        ws[v, _PHEAD] = npred
                        npred += 1
        lo = hi
        hi = n_order
        depth += 1
        if stop_on_targets and n_targets == 0:
            break
    return 0, n, n_order


@_njit
def _paths(v, ws, pred, out):
    """All shortest paths source → v (rows: node indices, source first) written to ``out``; returns the count."""
    L = ws[v, _DIST]
    if L == 0:
        out[0, 0] = v
        return np.int64(1)
    path = np.empty(L + 1, np.int64)
    cur = np.empty(L + 1, np.int64)
    path[L] = v
    cur[L] = ws[v, _PHEAD]
    level = L
    k = np.int64(0)
    while True:
        e = cur[level]
        if e < 0:
            level += 1
            if level > L:
                break
            cur[level] = pred[cur[level], 1]
            continue
        u = pred[e, 0]
        path[level - 1] = u
        if level == 1:
            out[k, :L + 1] = path
            k += 1
            cur[level] = pred[e, 1]
        else:
            level -= 1
            cur[level] = ws[u, _PHEAD]
    return k


@_njit
def _emit(r_atoms, r_sh, r_off, r_org, n_rings, ring_a, ring_s, size, org0, org1):
    start = r_off[n_rings]
    r_atoms = _grow1(r_atoms, start + size)
    r_sh = _grow2(r_sh, start + size)
    r_off = _grow1(r_off, n_rings + 2)
    r_org = _grow2(r_org, n_rings + 1)
    for t in range(size):
        r_atoms[start + t] = ring_a[t]
        r_sh[start + t, 0] = ring_s[t, 0]
        r_sh[start + t, 1] = ring_s[t, 1]
        r_sh[start + t, 2] = ring_s[t, 2]
    r_off[n_rings + 1] = start + size
    r_org[n_rings, 0] = org0
    r_org[n_rings, 1] = org1
    return r_atoms, r_sh, r_off, r_org, n_rings + 1


@_njit
def _bfs_grown(first, nbr, sh, src, s0, s1, s2, max_depth, min_atom, pre, n_pre, ban, stamp, head, sid, ws, pred,
               want_pred):
    """_bfs, growing the workspaces until it fits; returns (n_nodes, n_order, ws, pred, sid)."""
    while True:
        st, n, n_order = _bfs(first, nbr, sh, src, s0, s1, s2, max_depth, min_atom, pre, n_pre, ban, stamp, head,
                              sid, ws, pred, want_pred)
        if st == 0:
            return n, n_order, ws, pred, sid
        sid += 1
        if st == 1:
            ws = _grow2(ws, 2 * ws.shape[0])
        else:
            pred = _grow2(pred, 2 * pred.shape[0])


@_njit
def _balls(first, nbr, sh, n_atoms, depth, alive):
    """For every atom a (image 0): the sorted keys of the nodes within ``depth`` bonds, and their distances."""
    stamp = np.full(n_atoms, -1, np.int64)
    head = np.full(n_atoms, -1, np.int64)
    ws = np.empty((256, _NCOL), np.int64)
    pred = np.empty((16, 2), np.int64)
    pre = np.empty((1, 5), np.int64)
    ban = np.full(5, -1, np.int64)
    ball_first = np.zeros(n_atoms + 1, np.int64)
    keys = np.empty(1024, np.int64)
    dist = np.empty(1024, np.int64)
    zero = np.int64(0)
    sid = np.int64(0)
    total = np.int64(0)
    for a in range(n_atoms):
        if alive[a]:
            sid += 1
            _, n_order, ws, pred, sid = _bfs_grown(first, nbr, sh, a, zero, zero, zero, depth, zero, pre, zero, ban,
                                                   stamp, head, sid, ws, pred, zero)
            keys = _grow1(keys, total + n_order)
            dist = _grow1(dist, total + n_order)
            kk = np.empty(n_order, np.int64)
            dd = np.empty(n_order, np.int64)
            for q in range(n_order):
                v = ws[q, _ORDER]
                kk[q] = _encode(ws[v, _ATOM], ws[v, _S0], ws[v, _S1], ws[v, _S2])
                dd[q] = ws[v, _DIST]
            o = np.argsort(kk)
            for q in range(n_order):
                keys[total + q] = kk[o[q]]
                dist[total + q] = dd[o[q]]
            total += n_order
        ball_first[a + 1] = total
    return ball_first, keys[:total], dist[:total]


@_njit
def _shortcut_free(ring_a, ring_s, size, ball_first, ball_key, ball_dist):
    """True when no two ring atoms ⌊size/2⌋ apart along the ring are closer than that in the network."""
    h = size // 2
    m = size if size % 2 else h
    for i in range(m):
        j = (i + h) % size
        a = ring_a[i]
        key = _encode(ring_a[j], ring_s[j, 0] - ring_s[i, 0], ring_s[j, 1] - ring_s[i, 1],
                      ring_s[j, 2] - ring_s[i, 2])
        lo = ball_first[a]
        hi = ball_first[a + 1]
        idx = lo + np.searchsorted(ball_key[lo:hi], key)
        if idx < hi and ball_key[idx] == key and ball_dist[idx] < h:
            return False
    return True


@_njit
def _primitive_kernel(first, nbr, sh, n_atoms, max_size, alive, ball_first, ball_key, ball_dist):
    depth = max_size // 2
    stamp = np.full(n_atoms, -1, np.int64)
    head = np.full(n_atoms, -1, np.int64)
    ws = np.empty((256, _NCOL), np.int64)
    pred = np.empty((256, 2), np.int64)
    pre = np.empty((1, 5), np.int64)
    ban = np.full(5, -1, np.int64)
    bufa = np.empty((16, depth + 1), np.int64)
    bufb = np.empty((16, depth + 1), np.int64)
    ring_a = np.empty(max_size, np.int64)
    ring_s = np.empty((max_size, 3), np.int64)
    r_atoms = np.empty(1024, np.int64)
    r_sh = np.empty((1024, 3), np.int64)
    r_off = np.zeros(256, np.int64)
    r_org = np.empty((256, 2), np.int64)
    n_rings = np.int64(0)
    sid = np.int64(0)
    zero = np.int64(0)
    one = np.int64(1)
    minus1 = np.int64(-1)
    for r in range(n_atoms):
        if not alive[r]:
            continue
        sid += 1
        _, n_order, ws, pred, sid = _bfs_grown(first, nbr, sh, r, zero, zero, zero, depth, r, pre, zero, ban, stamp,
                                               head, sid, ws, pred, one)
        for q in range(1, n_order):
            v = ws[q, _ORDER]
            k = ws[v, _DIST]
            # even rings 2k: two disjoint shortest paths r -> v
            if k >= 2 and 2 * k <= max_size and ws[v, _NPATH] >= 2:
                bufa = _grow2(bufa, ws[v, _NPATH])
                na = _paths(v, ws, pred, bufa)
                for p1 in range(na):
                    for p2 in range(p1 + 1, na):
                        ok = True
                        for t in range(1, k):
                            if bufa[p1, t] == bufa[p2, t]:
                                ok = False
                                break
                        if not ok:
                            continue
                        size = 2 * k
                        for t in range(k + 1):
                            w = bufa[p1, t]
                            ring_a[t] = ws[w, _ATOM]
                            ring_s[t, 0] = ws[w, _S0]
                            ring_s[t, 1] = ws[w, _S1]
                            ring_s[t, 2] = ws[w, _S2]
                        for t in range(1, k):
                            w = bufa[p2, k - t]
                            ring_a[k + t] = ws[w, _ATOM]
                            ring_s[k + t, 0] = ws[w, _S0]
                            ring_s[k + t, 1] = ws[w, _S1]
                            ring_s[k + t, 2] = ws[w, _S2]
                        if _shortcut_free(ring_a, ring_s, size, ball_first, ball_key, ball_dist):
                            r_atoms, r_sh, r_off, r_org, n_rings = _emit(r_atoms, r_sh, r_off, r_org, n_rings,
                                                                         ring_a, ring_s, size, r, minus1)
            # odd rings 2k+1: shortest paths to the two ends of a bond v-w at equal depth k
            if k >= 1 and 2 * k + 1 <= max_size:
                a = ws[v, _ATOM]
                na = -1
                for e in range(first[a], first[a + 1]):
                    b = nbr[e]
                    if b < r:
                        continue
                    w = _lookup(stamp, head, sid, ws, b, ws[v, _S0] + sh[e, 0], ws[v, _S1] + sh[e, 1],
                                ws[v, _S2] + sh[e, 2])
                    if w <= v or ws[w, _DIST] != k:
                        continue
                    if na < 0:
                        bufa = _grow2(bufa, ws[v, _NPATH])
                        na = _paths(v, ws, pred, bufa)
                    bufb = _grow2(bufb, ws[w, _NPATH])
                    nb = _paths(w, ws, pred, bufb)
                    for p1 in range(na):
                        for p2 in range(nb):
                            ok = True
                            for t in range(1, k):
                                if bufa[p1, t] == bufb[p2, t]:
                                    ok = False
                                    break
                            if not ok:
                                continue
                            size = 2 * k + 1
                            for t in range(k + 1):
                                x = bufa[p1, t]
                                ring_a[t] = ws[x, _ATOM]
                                ring_s[t, 0] = ws[x, _S0]
                                ring_s[t, 1] = ws[x, _S1]
                                ring_s[t, 2] = ws[x, _S2]
                            for t in range(k):
                                x = bufb[p2, k - t]
                                ring_a[k + 1 + t] = ws[x, _ATOM]
                                ring_s[k + 1 + t, 0] = ws[x, _S0]
                                ring_s[k + 1 + t, 1] = ws[x, _S1]
                                ring_s[k + 1 + t, 2] = ws[x, _S2]
                            if _shortcut_free(ring_a, ring_s, size, ball_first, ball_key, ball_dist):
                                r_atoms, r_sh, r_off, r_org, n_rings = _emit(r_atoms, r_sh, r_off, r_org, n_rings,
                                                                             ring_a, ring_s, size, r, minus1)
    return r_atoms, r_sh, r_off[:n_rings + 1], r_org[:n_rings], n_rings


@_njit
def _king_kernel(first, nbr, sh, n_atoms, max_size, alive):
    stamp = np.full(n_atoms, -1, np.int64)
    head = np.full(n_atoms, -1, np.int64)
    ws = np.empty((256, _NCOL), np.int64)
    pred = np.empty((256, 2), np.int64)
    ban = np.full(5, -1, np.int64)
    buf = np.empty((16, max_size), np.int64)
    ring_a = np.empty(max_size, np.int64)
    ring_s = np.empty((max_size, 3), np.int64)
    r_atoms = np.empty(1024, np.int64)
    r_sh = np.empty((1024, 3), np.int64)
    r_off = np.zeros(256, np.int64)
    r_org = np.empty((256, 2), np.int64)
    n_rings = np.int64(0)
    sid = np.int64(0)
    zero = np.int64(0)
    one = np.int64(1)
    minus1 = np.int64(-1)
    for c in range(n_atoms):
        if not alive[c]:
            continue
        e0 = first[c]
        deg = first[c + 1] - e0
        if deg < 2:
            continue
        pre = np.empty((deg, 5), np.int64)
        for l in range(deg - 1):
            # pre row 0: the centre (banned); rows 1..: the other neighbours, banned before l, targets after l
            pre[0, 0] = c
            pre[0, 1] = 0
            pre[0, 2] = 0
            pre[0, 3] = 0
            pre[0, 4] = 1
            row = 1
            for m in range(deg):
                if m == l:
                    continue
                e = e0 + m
                pre[row, 0] = nbr[e]
                pre[row, 1] = sh[e, 0]
                pre[row, 2] = sh[e, 1]
                pre[row, 3] = sh[e, 2]
                pre[row, 4] = 1 if m < l else 2
                row += 1
            el = e0 + l
            sid += 1
            _, _, ws, pred, sid = _bfs_grown(first, nbr, sh, nbr[el], sh[el, 0], sh[el, 1], sh[el, 2],
                                                   max_size - 2, zero, pre, deg, ban, stamp, head, sid, ws, pred, one)
            # pre-placed nodes keep their row order as node indices 0..deg-1
            for row in range(1, deg):
                if pre[row, 4] != 2 or ws[row, _DIST] < 0:
                    continue
                L = ws[row, _DIST]
                buf = _grow2(buf, ws[row, _NPATH])
                npaths = _paths(row, ws, pred, buf)
                size = L + 2
                ring_a[0] = c
                ring_s[0, 0] = 0
                ring_s[0, 1] = 0
                ring_s[0, 2] = 0
                for p in range(npaths):
                    for t in range(L + 1):
                        x = buf[p, t]
                        ring_a[1 + t] = ws[x, _ATOM]
                        ring_s[1 + t, 0] = ws[x, _S0]
                        ring_s[1 + t, 1] = ws[x, _S1]
                        ring_s[1 + t, 2] = ws[x, _S2]
                    r_atoms, r_sh, r_off, r_org, n_rings = _emit(r_atoms, r_sh, r_off, r_org, n_rings, ring_a,
                                                                 ring_s, size, c, minus1)
    return r_atoms, r_sh, r_off[:n_rings + 1], r_org[:n_rings], n_rings


@_njit
def _guttman_kernel(first, nbr, sh, n_atoms, max_size, alive):
    stamp = np.full(n_atoms, -1, np.int64)
    head = np.full(n_atoms, -1, np.int64)
    ws = np.empty((256, _NCOL), np.int64)
    pred = np.empty((256, 2), np.int64)
    ban = np.full(5, -1, np.int64)
    pre = np.empty((1, 5), np.int64)
    buf = np.empty((16, max_size), np.int64)
    ring_a = np.empty(max_size, np.int64)
    ring_s = np.empty((max_size, 3), np.int64)
    r_atoms = np.empty(1024, np.int64)
    r_sh = np.empty((1024, 3), np.int64)
    r_off = np.zeros(256, np.int64)
    r_org = np.empty((256, 2), np.int64)
    n_rings = np.int64(0)
    sid = np.int64(0)
    zero = np.int64(0)
    one = np.int64(1)
    for i in range(n_atoms):
        if not alive[i]:
            continue
        for e in range(first[i], first[i + 1]):
            j = nbr[e]
            s0 = sh[e, 0]
            s1 = sh[e, 1]
            s2 = sh[e, 2]
            # each bond once: i < j, or a bond to the atom's own image with a positive shift
            if j < i:
                continue
            if j == i and not (s0 > 0 or (s0 == 0 and (s1 > 0 or (s1 == 0 and s2 > 0)))):
                continue
            pre[0, 0] = j
            pre[0, 1] = s0
            pre[0, 2] = s1
            pre[0, 3] = s2
            pre[0, 4] = 2
            ban[0] = i
            ban[1] = j
            ban[2] = s0
            ban[3] = s1
            ban[4] = s2
            sid += 1
            _, _, ws, pred, sid = _bfs_grown(first, nbr, sh, i, zero, zero, zero, max_size - 1, zero, pre, one,
                                                   ban, stamp, head, sid, ws, pred, one)
            if ws[0, _DIST] < 0:
                continue
            L = ws[0, _DIST]
            buf = _grow2(buf, ws[0, _NPATH])
            npaths = _paths(zero, ws, pred, buf)
            for p in range(npaths):
                for t in range(L + 1):
                    x = buf[p, t]
                    ring_a[t] = ws[x, _ATOM]
                    ring_s[t, 0] = ws[x, _S0]
                    ring_s[t, 1] = ws[x, _S1]
                    ring_s[t, 2] = ws[x, _S2]
                r_atoms, r_sh, r_off, r_org, n_rings = _emit(r_atoms, r_sh, r_off, r_org, n_rings, ring_a, ring_s,
                                                             L + 1, i, j)
    return r_atoms, r_sh, r_off[:n_rings + 1], r_org[:n_rings], n_rings


# ----------------------------------------------------------------------------------------------------------------
# Python side: graph preparation, de-duplication, statistics
# ----------------------------------------------------------------------------------------------------------------


def _graph(nl: NeighbourList, codes: np.ndarray | None):
    """CSR (first, nbr, shift) of the undirected bond graph (both directions, duplicates removed).

    ``codes`` (species codes) keeps only heteropolar bonds (ABAB search).
    """
    i = np.asarray(nl.i, dtype=np.int64)
    j = np.asarray(nl.j, dtype=np.int64)
    s = np.asarray(nl.shift, dtype=np.int64).reshape(-1, 3)
    if codes is not None:
        keep = codes[i] != codes[j]
        i, j, s = i[keep], j[keep], s[keep]
    # symmetrise (a list built by NeighbourList is symmetric already; a hand-made selection might not be)
    i, j, s = np.concatenate([i, j]), np.concatenate([j, i]), np.concatenate([s, -s])
    selfloop_zero = (i == j) & ~s.any(axis=1)
    i, j, s = i[~selfloop_zero], j[~selfloop_zero], s[~selfloop_zero]
    if len(i):
        rows = np.unique(np.column_stack([i, j, s]), axis=0)
        i, j, s = rows[:, 0], rows[:, 1], rows[:, 2:5]
    n = nl.n_atoms
    first = np.searchsorted(i, np.arange(n + 1)).astype(np.int64)
    return first, np.ascontiguousarray(j), np.ascontiguousarray(s)


def _two_core(first: np.ndarray, nbr: np.ndarray) -> np.ndarray:
    """Atoms of the 2-core: atoms that can be on a ring (dangling chains pruned, repeatedly)."""
    n = len(first) - 1
    src = np.repeat(np.arange(n), np.diff(first))
    alive = np.ones(n, dtype=bool)
    deg = np.diff(first).copy()
    while True:
        dead = alive & (deg < 2)
        if not dead.any():
            return alive
        alive &= ~dead
        # every bond from a removed atom lowers its partner's degree
        hit = dead[src]
        np.subtract.at(deg, nbr[hit], 1)
        deg[dead] = 0


def _encode_np(atoms: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    s = shifts + 128
    return (atoms << 24) | (s[..., 0] << 16) | (s[..., 1] << 8) | s[..., 2]


def _canonical(A: np.ndarray, S: np.ndarray):
    """For rings (R, n) of atoms A and images S (R, n, 3): translation-invariant sorted keys, start index, offset.

    The ring is translated so that its lowest-index atom sits in image 0; when that atom occurs more than once
    (a ring longer than the cell), the translation giving the lexicographically smallest key row is taken.
    """
    R = A.shape[0]
    rows = np.arange(R)
    amin = A.min(axis=1)
    start = A.argmin(axis=1)
    offset = S[rows, start]
    keys = _encode_np(A, S - offset[:, None, :])
    keys.sort(axis=1)
    multi = np.nonzero((A == amin[:, None]).sum(axis=1) > 1)[0]
    for r in multi:  # rare: same atom twice in one ring
        best = None
        for p in np.nonzero(A[r] == amin[r])[0]:
            k = np.sort(_encode_np(A[r], S[r] - S[r, p]))
            if best is None or tuple(k) < tuple(best[0]):
                best = (k, p)
        keys[r] = best[0]
        start[r] = best[1]
        offset[r] = S[r, best[1]]
    return keys, start, offset


def _orient(A: np.ndarray, S: np.ndarray, start: np.ndarray, offset: np.ndarray):
    """Rings rotated to begin at ``start`` and run towards the smaller-index neighbour; images relative to it."""
    R, n = A.shape
    rows = np.arange(R)[:, None]
    fwd = (start[:, None] + np.arange(n)) % n
    bwd = (start[:, None] - np.arange(n)) % n
    back = A[np.arange(R), (start - 1) % n] < A[np.arange(R), (start + 1) % n]
    idx = np.where(back[:, None], bwd, fwd)
    return A[rows, idx], S[rows, idx] - offset[:, None, :]


@dataclass(frozen=True)
class RingResult:
    """Ring statistics of one frame (definitions and normalisations in the module docstring).

    Arrays are indexed like ``sizes`` (3 … max_size): ``counts`` R_C(n) (distinct rings in the cell),
    ``per_atom`` R_C(n)/N, ``membership`` n·R_C(n)/N, ``p_n`` P_N(n), ``p_max`` / ``p_min``. ``rings`` (only when
    asked for) maps a size to an (R_C(n), n) array of atom indices in ring order (starting at the lowest index),
    ``images`` to the (R_C(n), n, 3) lattice images of those atoms relative to the first (positions[a] + image @
    cell unwraps the ring). ``n_candidates`` counts the rings found before de-duplication.
    """

    criterion: str
    max_size: int
    abab: bool
    n_atoms: int
    sizes: np.ndarray
    counts: np.ndarray
    per_atom: np.ndarray
    membership: np.ndarray
    p_n: np.ndarray
    p_max: np.ndarray
    p_min: np.ndarray
    n_candidates: int = 0
    rings: dict[int, np.ndarray] | None = field(default=None, repr=False, compare=False)
    images: dict[int, np.ndarray] | None = field(default=None, repr=False, compare=False)
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def count(self, size: int) -> int:
        """R_C(size) (0 outside 3 … max_size)."""
        k = size - 3
        return int(self.counts[k]) if 0 <= k < len(self.counts) else 0

    def fractions(self) -> np.ndarray:
        """R_C(n) / Σ R_C: the ring-size distribution normalised to 1 (zeros when there is no ring)."""
        t = self.counts.sum()
        return self.counts / t if t else np.zeros(len(self.counts))

    def __repr__(self) -> str:
        from ._display import short_repr

        per = ", ".join(f"{int(n)}: {v:.3g}" for n, v in zip(self.sizes, self.per_atom, strict=True) if v > 0)
        return short_repr("RingResult", criterion=self.criterion, sizes=f"3…{self.max_size}", n_atoms=self.n_atoms,
                          total=self.total, per_atom="{" + per + "}", abab=True if self.abab else None)

    def plot(self, ax=None, measure: str = "per_atom"):
        """Bars of one per-size measure against the ring size — ``"per_atom"`` (R_C(n)/N, default), ``"counts"``,
        ``"membership"``, ``"fractions"``, ``"p_n"``; returns the Axes."""
        from ._display import axes

        labels = {"per_atom": "rings per atom R_C(n)/N", "counts": "rings in the cell R_C(n)",
                  "membership": "n-rings per atom n·R_C(n)/N", "fractions": "fraction of rings",
                  "p_n": "fraction of atoms on an n-ring P_N(n)"}
        if measure not in labels:
            raise InputError(f"measure must be one of {', '.join(labels)}, got {measure!r}", field="measure")
        values = self.fractions() if measure == "fractions" else getattr(self, measure)
        ax = axes(ax)
        ax.bar(self.sizes, values, color="0.4")
        ax.set_xticks(self.sizes)
        ax.set_xlabel("ring size n (atoms)")
        ax.set_ylabel(labels[measure])
        ax.set_title(f"{self.criterion} rings, {self.total} in the cell")
        return ax

    def to_dict(self, include_rings: bool = False, arrays: bool = True) -> dict:
        """Plain JSON. The per-size tables (counts, per_atom, membership, fractions, p_n, p_max, p_min) are left
        out with ``arrays=False``; ``include_rings`` adds every ring's atoms."""
        sizes = [int(s) for s in self.sizes]

        def per_size(arr, cast):
            return {s: cast(v) for s, v in zip(sizes, arr, strict=True)}

        out = {
            "criterion": self.criterion,
            "max_size": self.max_size,
            "abab": self.abab,
            "n_atoms": self.n_atoms,
            "counts": per_size(self.counts, int),
            "per_atom": per_size(self.per_atom, float),
            "membership": per_size(self.membership, float),
            "fractions": per_size(self.fractions(), float),
            "p_n": per_size(self.p_n, float),
            "p_max": per_size(self.p_max, float),
            "p_min": per_size(self.p_min, float),
            "total": self.total,
            "n_candidates": self.n_candidates,
            "normalisation": {
                "counts": "R_C(n): distinct rings of n atoms in the cell",
                "per_atom": "R_C(n)/N (R.I.N.G.S. 'rings per node')",
                "membership": "n R_C(n)/N: mean number of n-rings an atom belongs to",
                "fractions": "R_C(n)/sum_n R_C(n)",
                "p_n": "P_N(n): fraction of atoms from which at least one n-ring is found",
                "p_max": "P_max(n): fraction of atoms whose largest ring found is n",
                "p_min": "P_min(n): fraction of atoms whose smallest ring found is n",
            },
            "meta": dict(self.meta),
            "hpglass_version": _version(),
        }
        if not arrays:
            for k in ("counts", "per_atom", "membership", "fractions", "p_n", "p_max", "p_min"):
                del out[k]
        if include_rings and self.rings is not None:
            out["rings"] = {int(s): r.tolist() for s, r in self.rings.items()}
        return out


def ring_statistics(atoms, nl_bonds: NeighbourList | float, criterion: str = "primitive", max_size: int = 10,
                    abab: bool = False, keep_rings: bool = False) -> RingResult:
    """Ring statistics of one frame: rings of 3 … ``max_size`` atoms under King's, Guttman's or the primitive
    criterion (definitions, periodic-boundary rule and normalisations in the module docstring).

    Parameters
    ----------
    atoms : the ase.Atoms frame (periodic in all three directions; species for ``abab``).
    nl_bonds : the bonds, a :class:`NeighbourList` (every pair in it is a bond), or a cutoff in Å to build one.
    criterion : ``"primitive"`` (default), ``"king"`` or ``"guttman"``.
    max_size : largest ring (number of atoms) searched, ≥ 3.
    abab : only rings alternating between two species (searched on the heteropolar bonds).
    keep_rings : also return the rings themselves (``RingResult.rings`` / ``images``).
    """
    check_frame(atoms)
    if criterion not in CRITERIA:
        raise InputError(f"criterion must be one of {', '.join(CRITERIA)}, got {criterion!r}", field="criterion")
    if isinstance(max_size, bool) or not isinstance(max_size, int | np.integer) or max_size < 3:
        raise InputError(f"max_size must be an integer ≥ 3, got {max_size!r}", field="max_size")
    max_size = int(max_size)
    if not isinstance(nl_bonds, NeighbourList):
        try:
            cutoff = float(nl_bonds)
        except (TypeError, ValueError):
            raise InputError(f"nl_bonds must be a NeighbourList or a cutoff in Å, got {type(nl_bonds).__name__}",
                             field="nl_bonds") from None
        nl_bonds = NeighbourList.build(atoms, cutoff)
    n_atoms = len(atoms)
    if nl_bonds.n_atoms != n_atoms:
        raise InputError(f"bond list is for {nl_bonds.n_atoms} atoms, the frame has {n_atoms}", field="nl_bonds")

    symbols = np.asarray(atoms.get_chemical_symbols())
    species, codes = np.unique(symbols, return_inverse=True)
    codes = codes.astype(np.int64)
    first, nbr, sh = _graph(nl_bonds, codes if abab else None)
    if len(sh) and np.abs(sh).max() * max_size > _SHIFT_LIMIT:
        raise InputError(f"the cell is too small for rings of {max_size} atoms with these bonds (a bond crosses "
                         f"{np.abs(sh).max()} cells); use a supercell", field="nl_bonds")
    alive = _two_core(first, nbr)
    if not alive.all():  # drop the bonds of dangling atoms: they cannot be on a ring
        src = np.repeat(np.arange(n_atoms), np.diff(first))
        keep = alive[src] & alive[nbr]
        first = np.searchsorted(src[keep], np.arange(n_atoms + 1)).astype(np.int64)
        nbr, sh = np.ascontiguousarray(nbr[keep]), np.ascontiguousarray(sh[keep])

    if criterion == "primitive":
        ball_first, ball_key, ball_dist = _balls(first, nbr, sh, n_atoms, max(max_size // 2 - 1, 0), alive)
        r_atoms, r_sh, r_off, r_org, n_raw = _primitive_kernel(first, nbr, sh, n_atoms, max_size, alive,
                                                               ball_first, ball_key, ball_dist)
    elif criterion == "king":
        r_atoms, r_sh, r_off, r_org, n_raw = _king_kernel(first, nbr, sh, n_atoms, max_size, alive)
    else:
        r_atoms, r_sh, r_off, r_org, n_raw = _guttman_kernel(first, nbr, sh, n_atoms, max_size, alive)
    n_raw = int(n_raw)
    r_off = np.asarray(r_off[:n_raw + 1])
    r_org = np.asarray(r_org[:n_raw])

    sizes = np.arange(3, max_size + 1)
    counts = np.zeros(len(sizes), dtype=np.int64)
    found_from = np.zeros((n_atoms, len(sizes)), dtype=bool)
    rings: dict[int, np.ndarray] = {}
    images: dict[int, np.ndarray] = {}
    lengths = np.diff(r_off)
    for k, n in enumerate(sizes):
        sel = np.nonzero(lengths == n)[0]
        if len(sel) == 0:
            continue
        idx = r_off[sel][:, None] + np.arange(n)
        A = r_atoms[idx]
        S = r_sh[idx]
        org = r_org[sel]
        if abab:  # strict two-species alternation (automatic for binary systems on heteropolar bonds)
            c = codes[A]
            ok = (n % 2 == 0) & (c == np.roll(c, 2, axis=1)).all(axis=1) & (c[:, 0] != c[:, 1])
            A, S, org = A[ok], S[ok], org[ok]
            if len(A) == 0:
                continue
        keys, start, offset = _canonical(A, S)
        _, first_idx = np.unique(keys, axis=0, return_index=True)
        counts[k] = len(first_idx)
        if criterion == "primitive":
            found_from[A[first_idx].ravel(), k] = True
        else:
            found_from[org[:, 0], k] = True
            o2 = org[:, 1]
            found_from[o2[o2 >= 0], k] = True
        if keep_rings:
            ra, rs = _orient(A[first_idx], S[first_idx], start[first_idx], offset[first_idx])
            order = np.lexsort(ra.T[::-1])
            rings[int(n)] = ra[order]
            images[int(n)] = rs[order]
    if keep_rings:
        for n in sizes:
            rings.setdefault(int(n), np.zeros((0, int(n)), dtype=np.int64))
            images.setdefault(int(n), np.zeros((0, int(n), 3), dtype=np.int64))

    any_ring = found_from.any(axis=1)
    largest = np.where(any_ring, len(sizes) - 1 - np.argmax(found_from[:, ::-1], axis=1), -1)
    smallest = np.where(any_ring, np.argmax(found_from, axis=1), -1)
    p_max = np.bincount(largest[any_ring], minlength=len(sizes)) / n_atoms
    p_min = np.bincount(smallest[any_ring], minlength=len(sizes)) / n_atoms

    meta = {
        "criterion": criterion,
        "max_size": max_size,
        "abab": bool(abab),
        "bond_cutoff": float(nl_bonds.cutoff),
        "n_bonds": int(len(nbr) // 2),
        "n_core_atoms": int(alive.sum()),
        "species": [str(s) for s in species],
        "compiled": HAVE_NUMBA,
        "periodic_rule": "rings close in real space (bond shifts sum to zero); loops through the boundary excluded",
    }
    return RingResult(
        criterion=criterion,
        max_size=max_size,
        abab=bool(abab),
        n_atoms=n_atoms,
        sizes=sizes,
        counts=counts,
        per_atom=counts / n_atoms,
        membership=counts * sizes / n_atoms,
        p_n=found_from.mean(axis=0),
        p_max=p_max,
        p_min=p_min,
        n_candidates=n_raw,
        rings=rings if keep_rings else None,
        images=images if keep_rings else None,
        meta=meta,
    )
