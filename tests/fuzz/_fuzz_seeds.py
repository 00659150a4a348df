"""Seed files of the fuzz suite (imported by basename; not a test module): real measured files from
``../shared/data`` (skipped when that folder is absent), hpglass's bundled data, and a few small synthetic tables
made here from stated models (so that each reader has a seed that passes before it is mutated)."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
DEMO = REPO / "src" / "hpglass" / "data" / "demo"
BUNDLED = REPO / "src" / "hpglass" / "data"


def _existing(*paths: Path) -> list[Path]:
    return [p for p in paths if p.is_file()]


@cache
def read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


# -- synthetic seeds --------------------------------------------------------------------------------------------------
def rt_csv() -> bytes:
    """R(T) with a tanh transition at 7 K on a linear normal state (T_K, R_ohm)."""
    t = np.linspace(2, 20, 181)
    r = (1.0 + 0.01 * t) * 0.5 * (1 + np.tanh((t - 7.0) / 0.2))
    return ("T_K,R_ohm\n" + "".join(f"{a:.3f},{b:.6e}\n" for a, b in zip(t, r, strict=True))).encode()


def eos_csv() -> bytes:
    """BM3-like P–V points per atom with errors in both (V0 30 Å³, K0 40 GPa, K0' 5)."""
    p = np.linspace(0, 30, 13)
    v = 30.0 * (1 + 5 * p / 40) ** (-1 / 5)  # Murnaghan form: a smooth, physical P–V curve
    rows = [f"{a:.3f},{b:.5f},0.1,0.05" for a, b in zip(p, v, strict=True)]
    return ("P_GPa,V_A3_atom,sigma_P_GPa,sigma_V_A3_atom\n" + "\n".join(rows) + "\n").encode()


def q1_csv() -> bytes:
    """q1(P) of one compression run, two slopes meeting at 12 GPa, with errors and an extra column."""
    p = np.linspace(0.6, 40.0, 24)
    q = 1.85 + 0.02 * p - 0.012 * np.clip(p - 12.0, 0, None) + np.random.default_rng(0).normal(0, 0.003, p.size)
    lines = ["run,direction,P (GPa),q1_A-1,q1_err_A-1,r1_A"]
    lines += [f"1,compression,{a:.3f},{b:.5f},0.003,{2.9 + 0.001 * a:.4f}" for a, b in zip(p, q, strict=True)]
    return ("\n".join(lines) + "\n").encode()


def sigma_csv() -> bytes:
    """ρ(P) with a kink at 20 GPa (pressure_GPa, resistivity_ohm_cm)."""
    p = np.linspace(1, 40, 30)
    lg = 2.0 - 0.15 * p + 0.1 * np.clip(p - 20, 0, None)
    return ("pressure_GPa,resistivity_ohm_cm\n" + "".join(f"{a:.2f},{10 ** b:.6e}\n" for a, b in zip(p, lg,
                                                                                               strict=True))).encode()


_CELL = 6.0
_ATOMS = [("Sb", (0.1, 0.1, 0.1)), ("Sb", (0.6, 0.55, 0.5)), ("Se", (0.35, 0.1, 0.6)), ("Se", (0.1, 0.6, 0.35)),
          ("Se", (0.6, 0.35, 0.1))]


def _elf_field(shape=(10, 10, 12)) -> np.ndarray:
    idx = np.indices(shape).reshape(3, -1).T / np.asarray(shape)
    val = np.zeros(len(idx))
    for _, f in _ATOMS:
        d = idx - np.asarray(f)
        d -= np.round(d)
        val += np.exp(-((d * _CELL) ** 2).sum(1) / (2 * 0.6 ** 2))
    return np.clip(val, 0, 1).reshape(shape)


def elfcar() -> bytes:
    """A VASP 5 ELFCAR: 5 atoms in a 6 Å cube, a 10×10×12 grid of Gaussian-like ELF (x fastest, 5 per line)."""
    vals = _elf_field()
    lines = ["synthetic ELFCAR (fuzz seed)", "1.0"] + [" ".join(f"{_CELL if i == j else 0.0:.6f}" for j in range(3))
                                                    for i in range(3)]
    lines += ["Sb Se", "2 3", "Direct"] + [" ".join(f"{x:.6f}" for x in f) for _, f in _ATOMS]
    lines += ["", " ".join(str(n) for n in vals.shape)]
    flat = vals.transpose(2, 1, 0).ravel()
    lines += [" ".join(f"{v:.6E}" for v in flat[i:i + 5]) for i in range(0, flat.size, 5)]
    return ("\n".join(lines) + "\n").encode()


def cube() -> bytes:
    """A Gaussian cube (Bohr) of the same field: 10×10×12 grid, z fastest, 6 per line."""
    bohr = 0.529177210903
    vals = _elf_field()
    head = ["synthetic cube (fuzz seed)", "OUTER LOOP: X, MIDDLE LOOP: Y, INNER LOOP: Z",
            f"{len(_ATOMS):5d} 0.0 0.0 0.0"]
    for i, n in enumerate(vals.shape):
        v = [0.0, 0.0, 0.0]
        v[i] = _CELL / n / bohr
        head.append(f"{n:5d} {v[0]:.8f} {v[1]:.8f} {v[2]:.8f}")
    for s, f in _ATOMS:
        z = {"Sb": 51, "Se": 34}[s]
        x = np.asarray(f) * _CELL / bohr
        head.append(f"{z:5d} {float(z):.4f} {x[0]:.6f} {x[1]:.6f} {x[2]:.6f}")
    body = []
    for row in vals.reshape(-1, vals.shape[2]):
        body += [" ".join(f"{v:.6E}" for v in row[c:c + 6]) for c in range(0, row.size, 6)]
    return ("\n".join(head + body) + "\n").encode()


def study_toml(table: str = "rho.csv", curves: tuple[tuple[str, float], ...] = (("c8.dat", 8.0),)) -> bytes:
    """The smallest study that runs: one transport run, its ρ(P) table and one R(T) curve."""
    text = ('[study]\nname = "fuzz seed"\n\n[sample]\ncomposition = "Sb2Se3"\n\n[[transport]]\nname = "run1"\n'
            f'direction = "compression"\nresistivity_table = "{table}"\n'
            'provenance = { kind = "synthetic", model = "bundled demo curves" }\n')
    for f, p in curves:
        text += f'\n[[transport.curves]]\nfile = "{f}"\npressure_GPa = {p:g}\n'
    return (text + "\n[analysis]\nworkers = 1\n").encode()


def run_json() -> bytes:
    """A simulate run record whose potential is not registered: a resume fails before any MD."""
    return (b'{"config": {"composition": "Sb2Se3", "n_atoms": 20, "pressures_GPa": [0, 5]},\n'
            b' "metadata": {"potential": "fuzz-none", "device": "cpu", "threads": 1}}\n')


# -- seeds per command: (label, bytes, options) -----------------------------------------------------------------------
def transport_tc() -> list[tuple[str, bytes, list[str]]]:
    out = [("rt.csv", rt_csv(), []),
           ("two_transitions_ETO.dat", read(DEMO / "synthetic_RT_two_transitions_ETO.dat"), []),
           ("run1_008.0GPa_ETO.dat", read(DEMO / "study_transport" / "run1_008.0GPa_ETO.dat"), [])]
    out += [(p.name, read(p), []) for p in _existing(SHARED / "transport" / "fairmat_areaA_ETO_testPPMS.dat")]
    return out


def transport_hc2() -> list[tuple[str, bytes, list[str]]]:
    out = [("fields_ETO.dat", read(DEMO / "synthetic_RT_fields_ETO.dat"), [])]
    out += [(p.name, read(p), ["--channel", "1"]) for p in
            _existing(SHARED / "transport" / "nomad_Resistivity_Ch1_TMR_Ch2_Hall_test.dat",
                      SHARED / "transport" / "nomad_ACT_Ch1_Hall_Ch2_TMR.dat")]
    return out


def transport_sigma() -> list[tuple[str, bytes, list[str]]]:
    st = DEMO / "study_transport"
    return [("sigma.csv", sigma_csv(), []),
            ("synthetic_rho.csv", read(DEMO / "synthetic_resistivity_vs_pressure.csv"), []),
            ("run1_rho.csv", read(st / "run1_resistivity_vs_pressure.csv"), []),
            ("run1-decompression_rho.csv", read(st / "run1-decompression_resistivity_vs_pressure.csv"), [])]


def eos_tables() -> list[tuple[str, bytes, list[str]]]:
    cr = DEMO / "simulated" / "crystals"
    return [("pv.csv", eos_csv(), []),
            ("pnma_eos.csv", read(cr / "pnma_eos.csv"), ["--composition", "Sb2Se3"]),
            ("bcc_eos.csv", read(DEMO / "simulated" / "bcc_reference" / "relax" / "bcc_eos.csv"), [])]


def series_tables() -> list[tuple[str, bytes, list[str]]]:
    return [("q1.csv", q1_csv(), ["--y", "q1"]),
            ("series_manifest.csv", read(DEMO / "series" / "series_manifest.csv"), ["--y", "true_q1_A-1"]),
            ("pnma_eos.csv", read(DEMO / "simulated" / "crystals" / "pnma_eos.csv"), ["--y", "density_g_cm3"])]


def patterns() -> list[tuple[str, bytes, bytes | None, list[str]]]:
    """(name, sample, background or None, options)."""
    sx = DEMO / "study_xrd"
    out = [("sample.xy", read(DEMO / "a-Sb2Se3_synthetic_sample.xy"), read(DEMO / "a-Sb2Se3_synthetic_empty_cell.xy"),
            ["--composition", "Sb2Se3", "--wavelength", "0.2952", "--refine-density", "--refine-bkg"]),
           ("xrd_010.0GPa.xy", read(sx / "xrd_010.0GPa.xy"), read(sx / "empty_cell.xy"),
            ["--composition", "Sb2Se3", "--wavelength", "0.2952", "--density", "5.9", "--refine-bkg"])]
    g, d = SHARED / "xrd" / "glassure", SHARED / "xrd" / "dioptas"
    if (g / "Mg2SiO4_ambient.xy").is_file():
        out.append(("Mg2SiO4_ambient.xy", read(g / "Mg2SiO4_ambient.xy"), read(g / "Mg2SiO4_ambient_bkg.xy"),
                    ["--composition", "Mg2SiO4", "--wavelength", "0.1908", "--refine-density"]))
    if (g / "Argon_1GPa.chi").is_file():
        out.append(("Argon_1GPa.chi", read(g / "Argon_1GPa.chi"), read(g / "Argon_1GPa_bkg.chi"),
                    ["--composition", "Ar", "--wavelength", "0.37", "--density", "1.7", "--refine-bkg"]))
    if (g / "history_2014" / "Mg2SiO4_175.xy").is_file():
        out.append(("Mg2SiO4_175.xy", read(g / "history_2014" / "Mg2SiO4_175.xy"), None,
                    ["--composition", "Mg2SiO4", "--wavelength", "0.31", "--density", "3.5"]))
    if (d / "pattern_001.xy").is_file():
        out.append(("pattern_001.xy", read(d / "pattern_001.xy"), None,
                    ["--composition", "SiO2", "--wavelength", "0.3202", "--density", "2.2", "--x-unit", "2theta"]))
    return out


def images() -> list[tuple[str, bytes, str, bytes, list[str]]]:
    """(image name, image, poni name, poni, options) — only with the shared data."""
    d = SHARED / "xrd" / "dioptas"
    if not (d / "CeO2_Pilatus1M.tif").is_file():
        return []
    return [("CeO2_Pilatus1M.tif", read(d / "CeO2_Pilatus1M.tif"), "CeO2_Pilatus1M.poni",
             read(d / "CeO2_Pilatus1M.poni"), ["--composition", "CeO2", "--density", "7.2"])]


def frames() -> list[tuple[str, bytes, list[str]]]:
    sim = DEMO / "simulated"
    return [("P_0GPa.extxyz", read(REPO / "data" / "glass80-sevennet" / "P_0GPa.extxyz"), []),
            ("pnma_P_10GPa.extxyz", read(sim / "crystals" / "pnma_P_10GPa.extxyz"), []),
            ("random_packing.extxyz", read(DEMO / "frames" / "random_Sb2Se3_packing.extxyz"), []),
            ("Sb2Se3_Pnma_PBE.vasp", read(BUNDLED / "structures" / "Sb2Se3_Pnma_PBE.vasp"), [])]


def elf_grids() -> list[tuple[str, bytes, str]]:
    """(name, bytes, option: --elfcar | --cube)."""
    return [("ELFCAR", elfcar(), "--elfcar"), ("grid.cube", cube(), "--cube")]
