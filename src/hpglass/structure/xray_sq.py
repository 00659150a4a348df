r"""X-ray-weighted S(q), F(r) and g(r) of a simulated frame, in the conventions of the diffraction chain.

From the partial pair distributions of :mod:`.pair` (bin centres r_k, exact shell volumes V_k):

    S_ab(q) = 1 + 4πρ ∫₀^{r_max} r² [g_ab(r) − g⁰_ab] M(r) sin(qr)/(qr) dr
            ≈ 1 + ρ Σ_k V_k [g_ab(r_k) − g⁰_ab] M(r_k) sinc(q r_k)                 (Faber–Ziman partials)
    S_X(q)  = Σ_ab w_ab(q) S_ab(q),   w_ab(q) = c_a c_b f_a(q) f_b(q) / ⟨f(q)⟩²       (ordered pairs, Σ w_ab = 1)

with ρ the total number density and f_a, ⟨f⟩², w_ab from :func:`hpglass.xray.scattering_factors` — the same form
factors the experimental reduction divides by, so the two overlay without rescaling.

Window M(r) (``window``): the sum stops at r_max, which must not exceed half the smallest cell height (beyond it
an atom sees its own periodic images). A sharp stop (``"none"``) rings in q with period 2π/r_max; the default
``"lorch"`` M(r) = sin(πr/r_max)/(πr/r_max) (Lorch's function applied in r) removes the ringing at the price of
broadening every feature of S(q) by ≈ 1.2·2π/r_max (FWHM), and ``"cosine"`` keeps M = 1 up to r_max − taper and
falls as a half cosine to 0 at r_max (less broadening, some ringing). Either way S(q) below ≈ 2π/r_max is not
resolved — compare with experiment at q ≳ 2π/r_max, or use a larger cell.

g⁰_ab (``finite_size``): an atom does not count itself, so in a cell of N_b atoms of b, g_ab tends to
1 − δ_ab/N_b at large r, not 1 (the normalisation of :mod:`.pair` uses ρ_b = N_b/V). Subtracting 1 would leave a
spurious −δ_ab W(q)/(c_a V) in S_ab, with W(q) = ∫₀^{r_max} 4πr² M(r) sinc(qr) dr the window's volume transform
(at q → 0 up to −(π/6)/c_a for r_max = L/2 in a cube; it decays as q rises above 2π/r_max); by default
g⁰_ab = 1 − δ_ab/N_b is subtracted instead, which removes it. ``finite_size=False`` subtracts 1.

F(r) and g(r) then follow from S_X(q) exactly as in :mod:`hpglass.scattering.pipeline`: S_X on the experiment's
q grid (``q``, or ``q_min``…``q_max`` in steps ``dq``), extended to q = 0 by
:func:`hpglass.scattering.normalization.extend_to_zero` (default: linear from the Laue limit
1 − ⟨f²⟩/⟨f⟩² at q = 0, as the chain does), F(r) = (2/π)∫ q[S − 1] M(q) sin(qr) dq by
:func:`hpglass.scattering.transform.f_of_r` (trapezoid on the grid; ``lorch`` = the chain's ``--lorch``) and
g(r) = 1 + F/(4πρr) by :func:`~hpglass.scattering.transform.g_of_r`. With the same q grid, extrapolation and
Lorch setting, a measured and a simulated F(r) have the same termination ripples.

:func:`debye_reference` evaluates the same windowed S_X(q) by the Debye sum over every pair (no binning), the
check of the binned route: the two differ only by the binning of r — with dr = 0.002 Å by ≤ 2e-4 up to
q = 8 Å⁻¹ on the test cells, which is why ``hpglass structure`` computes S(q) from a histogram five times finer
than its g(r) output (a 0.01 Å histogram gives ≈ 1e-3).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..composition import Composition
from ..errors import InputError
from ..scattering.normalization import extend_to_zero
from ..scattering.transform import f_of_r, g_of_r
from ..xray import scattering_factors
from .pair import PairDistribution, half_min_height, species_of

__all__ = ["WINDOWS", "XraySQ", "debye_reference", "partial_structure_factors", "r_window",
           "xray_structure_factor"]

WINDOWS = ("lorch", "cosine", "none")


def r_window(r: np.ndarray, r_max: float, window: str = "lorch", taper: float | None = None) -> np.ndarray:
    """M(r) on [0, r_max] (0 beyond): Lorch sin(πr/r_max)/(πr/r_max), a cosine taper of width ``taper`` Å
    (default 0.2·r_max) ending at r_max, or 1 (``"none"``)."""
    r = np.asarray(r, dtype=float)
    if window == "lorch":
        m = np.sinc(r / r_max)
    elif window == "cosine":
        w = 0.2 * r_max if taper is None else float(taper)
        if not 0 < w <= r_max:
            raise InputError(f"taper must be in (0, r_max = {r_max:g}] Å, got {taper}", field="taper")
        x = np.clip((r - (r_max - w)) / w, 0.0, 1.0)
        m = 0.5 * (1.0 + np.cos(np.pi * x))
    elif window == "none":
        m = np.ones_like(r)
    else:
        raise InputError(f"unknown window {window!r}; use one of {', '.join(WINDOWS)}", field="window")
    return np.where(r <= r_max, m, 0.0)


def _check_q(q) -> np.ndarray:
    q = np.asarray(q, dtype=float)
    if q.ndim != 1 or q.size < 2 or not np.all(np.isfinite(q)) or q[0] < 0 or np.any(np.diff(q) <= 0):
        raise InputError("q must be a 1D, strictly increasing grid of ≥ 2 non-negative values (Å⁻¹)", field="q")
    return q


def _check_r_max(pair: PairDistribution) -> None:
    if pair.r_max > pair.half_height * (1 + 1e-9):
        raise InputError(f"r_max = {pair.r_max:g} Å exceeds half the smallest cell height ({pair.half_height:.4g} Å): "
                         "S(q) would include an atom's own periodic images; lower r_max", field="r_max")


def _reference(pair: PairDistribution, a: str, b: str, finite_size: bool) -> float:
    return 1.0 - (1.0 / pair.n_by_species[b] if (finite_size and a == b) else 0.0)


def partial_structure_factors(pair: PairDistribution, q, window: str = "lorch", taper: float | None = None,
                              finite_size: bool = True) -> dict[tuple[str, str], np.ndarray]:
    """Faber–Ziman S_ab(q) for every unordered pair (a ≤ b) on ``q`` (module docstring).

    Evaluated as (ρ/q) Σ_k [V_k M(r_k) (g_ab(r_k) − g⁰_ab) / r_k] sin(q r_k): one sine matrix and one matrix
    product for all partials (ρ Σ_k V_k M (g − g⁰) at q = 0).
    """
    _check_r_max(pair)
    q = _check_q(q)
    r = pair.r
    keys = list(pair.partials)
    vm = pair.shell_volumes * r_window(r, pair.r_max, window, taper)
    h = np.column_stack([vm * (pair.partial(a, b) - _reference(pair, a, b, finite_size)) for a, b in keys])
    rho = pair.number_density
    out = _sine_sums(q, r, h / r[:, None])
    nz = q > 0
    out[nz] /= q[nz, None]
    if not nz.all():
        out[~nz] = h.sum(axis=0)
    return {k: 1.0 + rho * out[:, n] for n, k in enumerate(keys)}


def _sine_sums(q: np.ndarray, r: np.ndarray, a: np.ndarray, restart: int = 128) -> np.ndarray:
    """Σ_k a[k, :] sin(q_m r_k) for every q_m → (n_q, n_columns).

    On a uniform q grid the sines advance row by row with sin((q + δ)r) = 2cos(δr) sin(qr) − sin((q − δ)r),
    restarted from exact sines every ``restart`` rows (rounding stays below 1e-12 of the result; ≈ 5× faster than
    evaluating every sine); other grids evaluate the sine matrix in chunks of 256 rows.
    """
    out = np.empty((q.size, a.shape[1]))
    if q.size >= 8 and np.allclose(np.diff(q), q[1] - q[0], rtol=1e-9, atol=1e-12):
        dq = q[1] - q[0]
        two_c = 2.0 * np.cos(dq * r)
        for start in range(0, q.size, restart):
            prev = np.sin((q[start] - dq) * r)
            cur = np.sin(q[start] * r)
            for m in range(start, min(start + restart, q.size)):
                out[m] = cur @ a
                prev, cur = cur, two_c * cur - prev
        return out
    for start in range(0, q.size, 256):
        sl = slice(start, start + 256)
        out[sl] = np.sin(np.outer(q[sl], r)) @ a
    return out


@dataclass(frozen=True)
class XraySQ:
    """X-ray S(q) of one frame and its F(r), g(r) by the diffraction chain's transform.

    q, sq : the requested grid and S_X(q) on it. q_full, sq_full : the grid extended to 0 used by the transform.
    partials : Faber–Ziman S_ab(q) per unordered pair; weights : w_ab(q) + w_ba(q) per unordered pair (the
    weights of the partials in S_X). r, fr, gr : F(r) (Å⁻², = G(r) of PDFgetX3) and g(r).
    """

    q: np.ndarray
    sq: np.ndarray
    q_full: np.ndarray
    sq_full: np.ndarray
    partials: dict[tuple[str, str], np.ndarray]
    weights: dict[tuple[str, str], np.ndarray]
    r: np.ndarray
    fr: np.ndarray
    gr: np.ndarray
    number_density: float
    composition: Composition
    parameters: dict = field(default_factory=dict)

    def sq_columns(self) -> dict[str, np.ndarray]:
        out = {"q_A-1": self.q, "S_X(q)": self.sq}
        for (a, b), s in self.partials.items():
            out[f"S_{a}-{b}"] = s
        for (a, b), w in self.weights.items():
            out[f"w_{a}-{b}"] = w
        return out

    def fr_columns(self) -> dict[str, np.ndarray]:
        return {"r_A": self.r, "F_X(r)_A-2": self.fr, "g_X(r)": self.gr}

    def to_dict(self, arrays: bool = False) -> dict:
        """Grid, density and parameters; with ``arrays`` also q_A-1, S_X, the partials S_ab and weights w_ab, and
        r_A, F_X(r), g_X(r)."""
        out = {"number_density_A-3": self.number_density, "composition": self.composition.to_dict(),
               "q_min_A-1": float(self.q[0]), "q_max_A-1": float(self.q[-1]), "n_q": int(self.q.size),
               "r_max_out_A": float(self.r[-1]), "n_r": int(self.r.size), "parameters": dict(self.parameters)}
        if arrays:
            out["q_A-1"] = self.q.tolist()
            out["S_X"] = self.sq.tolist()
            out["S_partials"] = {f"{a}-{b}": v.tolist() for (a, b), v in self.partials.items()}
            out["weights"] = {f"{a}-{b}": v.tolist() for (a, b), v in self.weights.items()}
            out["r_A"] = self.r.tolist()
            out["F_X_A-2"] = self.fr.tolist()
            out["g_X"] = self.gr.tolist()
        return out

    def __repr__(self) -> str:
        from ._display import short_repr

        return short_repr("XraySQ", composition=self.composition.formula or None,
                          q=f"{self.q[0]:.4g}…{self.q[-1]:.4g} Å⁻¹ ({self.q.size} points)",
                          r=f"{self.r[0]:.4g}…{self.r[-1]:.4g} Å ({self.r.size} points)",
                          number_density=f"{self.number_density:.5g} Å⁻³", window=self.parameters.get("window"),
                          partials=",".join("-".join(k) for k in self.partials))

    def plot(self, ax=None, which: str = "sq", partials: bool = False):
        """``which="sq"``: S_X(q) (and the weighted partial terms w_ab·(S_ab − 1) with ``partials``); ``"fr"``: F(r);
        ``"gr"``: g_X(r). Returns the Axes."""
        from ._display import axes

        if which not in ("sq", "fr", "gr"):
            raise InputError(f"which must be 'sq', 'fr' or 'gr', got {which!r}", field="which")
        ax = axes(ax)
        if which == "sq":
            ax.plot(self.q, self.sq, color="k", lw=1.5, label="S_X(q)")
            if partials:
                for (a, b), s in self.partials.items():
                    ax.plot(self.q, self.weights[(a, b)] * (s - 1.0), lw=1.0, label=f"w·(S_{a}{b} − 1)")
            ax.set_xlabel("q (Å⁻¹)")
            ax.set_ylabel("S(q)")
        else:
            y, label = (self.fr, "F(r) (Å⁻²)") if which == "fr" else (self.gr, "g_X(r)")
            ax.plot(self.r, y, color="k", lw=1.5, label=label)
            ax.set_xlabel("r (Å)")
            ax.set_ylabel(label)
        ax.legend(frameon=False)
        return ax


def xray_structure_factor(
    pair: PairDistribution,
    q=None,
    *,
    q_min: float = 0.0,
    q_max: float = 12.0,
    dq: float = 0.01,
    window: str = "lorch",
    taper: float | None = None,
    finite_size: bool = True,
    r=None,
    r_out_max: float = 10.0,
    r_step: float = 0.01,
    lorch: bool = False,
    extrapolation: str = "linear",
    s0: float | None = None,
) -> XraySQ:
    """S_X(q) of a frame's pair distribution and F(r), g(r) from it (module docstring).

    q : the experiment's grid (Å⁻¹); else q_min … q_max in steps dq. r : the F(r) grid; else 0 … r_out_max in
    steps r_step (the chain's default 0 … 10 Å by 0.01 Å). lorch, extrapolation, s0 : as ScatterConfig's
    ``lorch``, ``extrapolation`` and ``s0`` (s0 defaults to the Laue limit 1 − ⟨f²⟩/⟨f⟩²).
    """
    if q is None:
        if not (0 <= q_min < q_max and dq > 0):
            raise InputError(f"need 0 ≤ q_min < q_max and dq > 0 (got {q_min}, {q_max}, {dq})", field="q_max")
        q = q_min + dq * np.arange(int(np.floor((q_max - q_min) / dq + 1e-9)) + 1)
    q = _check_q(q)
    comp = Composition.parse(dict(pair.n_by_species))
    sf = scattering_factors(comp, q)
    w_ordered = sf.weights()
    parts = partial_structure_factors(pair, q, window, taper, finite_size)
    weights = {(a, b): w_ordered[(a, b)] + (w_ordered[(b, a)] if a != b else 0.0) for (a, b) in parts}
    sq = 1.0 + sum(weights[k] * (parts[k] - 1.0) for k in parts)
    s0_value = sf.s0_limit if s0 is None else float(s0)
    q_full, sq_full = extend_to_zero(q, sq, s0_value, extrapolation)
    r_grid = np.arange(0.0, r_out_max + r_step / 2, r_step) if r is None else np.asarray(r, dtype=float)
    fr = f_of_r(q_full, sq_full, r_grid, use_lorch=lorch)
    rho = pair.number_density
    gr = g_of_r(r_grid, fr, rho)
    params = {"window": window, "taper_A": taper, "finite_size": finite_size, "r_max_A": pair.r_max, "dr_A": pair.dr,
              "lorch_in_q": lorch, "extrapolation": extrapolation, "s0": s0_value}
    return XraySQ(q=q, sq=sq, q_full=q_full, sq_full=sq_full, partials=parts, weights=weights, r=r_grid, fr=fr,
                  gr=gr, number_density=rho, composition=comp, parameters=params)


def debye_reference(atoms, q, r_max: float, window: str = "lorch", taper: float | None = None,
                    finite_size: bool = True, chunk: int = 200_000) -> np.ndarray:
    """The windowed X-ray S_X(q) by the Debye sum over every pair within r_max, without binning.

        S_X(q) = 1 + [Σ_{i≠j, r_ij<r_max} f_i f_j M(r_ij) sinc(q r_ij) / N
                      − Σ_ab c_a f_a f_b (ρ_b − δ_ab/V) ∫₀^{r_max} 4πr² M(r) sinc(qr) dr] / ⟨f⟩²

    (the second term, the uniform background, by Gauss–Legendre quadrature to 1e-12; ``finite_size=False``
    drops the δ_ab/V). Costs (pairs × q points); meant for small cells and tests.
    """
    from .neighbors import NeighbourList

    q = _check_q(q)
    if r_max > half_min_height(atoms.cell) * (1 + 1e-9):
        raise InputError("r_max exceeds half the smallest cell height", field="r_max")
    nl = NeighbourList.build(atoms, r_max)
    keep = nl.d < r_max
    species = species_of(atoms)
    symbols = np.array(atoms.get_chemical_symbols())
    n = len(atoms)
    comp = Composition.parse({s: int(np.count_nonzero(symbols == s)) for s in species})
    sf = scattering_factors(comp, q)
    t = np.searchsorted(species, symbols)
    ti, tj, d = t[nl.i[keep]], t[nl.j[keep]], nl.d[keep]
    m = r_window(d, r_max, window, taper)
    pair_sum = np.zeros_like(q)
    for a_i, a in enumerate(species):
        for b_i, b in enumerate(species):
            sel = (ti == a_i) & (tj == b_i)
            ds, ms = d[sel], m[sel]
            acc = np.zeros_like(q)
            for start in range(0, ds.size, chunk):
                sl = slice(start, start + chunk)
                acc += np.sinc(np.outer(q, ds[sl]) / np.pi) @ ms[sl]
            pair_sum += sf.f[a] * sf.f[b] * acc / n
    # uniform background: ∫₀^{r_max} 4πr² M(r) sinc(qr) dr by composite Gauss–Legendre
    x, w = np.polynomial.legendre.leggauss(32)
    n_panels = max(64, int(np.ceil(q[-1] * r_max / 2.0)))
    edges = np.linspace(0.0, r_max, n_panels + 1)
    h = np.diff(edges) / 2
    rr = (edges[:-1, None] + h[:, None] * (x[None, :] + 1.0)).ravel()
    ww = (h[:, None] * w[None, :]).ravel()
    integral = np.sinc(np.outer(q, rr) / np.pi) @ (ww * 4.0 * np.pi * rr**2 * r_window(rr, r_max, window, taper))
    volume = abs(atoms.cell.volume)
    bkg = np.zeros_like(q)
    c = comp.fractions
    for a in species:
        for b in species:
            rho_b = c[b] * n / volume - ((1.0 / volume) if (finite_size and a == b) else 0.0)
            bkg += c[a] * sf.f[a] * sf.f[b] * rho_b * integral
    return 1.0 + (pair_sum - bkg) / sf.f_mean_squared
