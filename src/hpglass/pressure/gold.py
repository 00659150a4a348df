"""Pressure from the lattice of gold: a d-spacing (+ hkl), a 2θ (+ hkl, wavelength) or the cell volume.

Lattice → volume (fcc Au, 4 atoms in the conventional cell): a = d·√(h² + k² + l²), V = a³ (Å, Å³); a 2θ is turned
into d by Bragg's law, d = λ / (2 sin θ), λ the X-ray wavelength in Å. Only fcc reflections exist (h, k, l all
odd or all even: 111, 200, 220, 311, 222, …); any other hkl is refused.

Scales (``scale=``), evaluated by peritheos (:mod:`hpglass.pressure._library`); ``tests/pressure`` asserts the
library's records hold the published numbers quoted here:

``"fei2007"`` (default) — Fei, Ricolleau, Frank, Mibe, Shen & Prakapenka, Proc. Natl. Acad. Sci. USA 104(22),
    9182–9186 (2007), doi:10.1073/pnas.0609013104, Table 1 and eq. 3: Vinet isotherm at T_ref = 300 K with
    V0 = 67.850 Å³, K0 = 167 GPa (fixed), K0' = 6.00 ± 0.02, plus a Mie–Grüneisen–Debye thermal pressure
    P_th(V, T) − P_th(V, 300 K) with θ0 = 170 K, γ0 = 2.97 ± 0.03, q = 0.6 ± 0.3, γ = γ0 (V/V0)^q and the
    Debye temperature as printed by Fei et al., θ = θ0 (V/V0)^(−γ). Temperatures 0 < T ≤ 3000 K are accepted
    (above 3000 K gold is molten at any pressure the scale covers: an InputError); outside 298–2330 K (the
    measured envelope of the fit) the result carries an extrapolation warning.
``"dewaele2004"`` — Dewaele, Loubeyre & Mezouar, Phys. Rev. B 70, 094112 (2004), doi:10.1103/PhysRevB.70.094112,
    Table II (revised ruby scale, A = 1904 GPa, B = 9.5 of their eq. 1): Vinet at 298 K with
    V0 = 16.962 Å³/atom = 67.848 Å³, K0 = 167 GPa (fixed), K0' = 6.00 ± 0.02 (95 % interval), fitted to
    0–93.6 GPa. The paper gives no thermal model: a temperature more than 5 K from 298 K is an InputError.
    (K0' = 6.00 was sometimes quoted as 5.9 — that is Dorogokupets & Dewaele (2007) or Takemura & Dewaele (2008).)

Fei (2007) refitted the same Dewaele (2004) room-temperature data, so the two isotherms nearly coincide (they
differ by 0.002 Å³ in V0 and by the 2 K between their reference temperatures: ≤ 0.02 GPa up to 110 GPa).

Uncertainty: ``pressure_err_input_GPa`` propagates the given standard uncertainty of the input (d, 2θ or V) and of
T through dP/dV and dP/dT (central differences of the library's P(V, T)); ``pressure_err_scale_GPa`` propagates the
published parameter uncertainties (as standard uncertainties; Dewaele's 95 % intervals divided by 1.96) to first
order. peritheos 0.17.1's own ``pressure_with_uncertainty`` is not used for the latter: for the Fei (2007) record it
applies the V0 error (0.004 Å³ per cell) to the thermal model's molar volume (1.0215 J/bar), a 66× too large
relative error that inflates the scale uncertainty at V/V0 = 0.9 from 0.03 to 1.2 GPa; here V0 errors are
converted with the record's volume scale. ``pressure_err_GPa`` is the quadrature sum.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ..errors import InputError
from . import _library
from ._checks import finite_number, smaller_uncertainty

__all__ = [
    "GOLD_SCALES",
    "GoldPressure",
    "GoldScale",
    "cubic_cell_volume",
    "d_spacing_from_two_theta",
    "gold_pressure",
    "is_fcc_reflection",
    "parse_hkl",
]

#: pressures below this are an error, between it and 0 a warning
MIN_PRESSURE_GPA = -1.0
#: smallest V/V0 accepted (Au at V/V0 = 0.5 is beyond 500 GPa): smaller means wrong units
MIN_VOLUME_RATIO = 0.5
#: largest V/V0 accepted: gold at 0 GPa near melting is ≈ 1.06 V0; a larger cell is a wrong d-spacing or unit
MAX_VOLUME_RATIO = 1.2
#: hottest temperature a thermal scale accepts, K (solid gold; Fei 2007 measured 298–2330 K)
MAX_TEMPERATURE_K = 3000.0
#: largest lattice parameter computed (Å): guards a³ against overflow before the V/V0 check names the input
_MAX_LATTICE_A = 1e3
#: an isothermal scale accepts temperatures this close to its reference, K
ROOM_TEMPERATURE_TOLERANCE_K = 5.0


@dataclass(frozen=True)
class GoldScale:
    """One Au scale: key, peritheos record, citation and the published parameters (public units)."""

    key: str
    record: str
    label: str
    reference: str
    doi: str
    thermal: bool
    published: dict[str, float]
    published_errors: dict[str, float] = field(default_factory=dict)


GOLD_SCALES: dict[str, GoldScale] = {
    "fei2007": GoldScale(
        "fei2007", "gold_fei_2007_vinet_2", "Fei et al. (2007), Vinet + Mie-Grueneisen-Debye",
        "Y. Fei, A. Ricolleau, M. Frank, K. Mibe, G. Shen, V. Prakapenka, Proc. Natl. Acad. Sci. USA 104(22), "
        "9182-9186 (2007)", "10.1073/pnas.0609013104", True,
        {"V0_A3": 67.850, "K0_GPa": 167.0, "K0_prime": 6.00, "T_ref_K": 300.0, "theta0_K": 170.0, "gamma0": 2.97,
         "q": 0.6},
        {"V0_A3": 0.004, "K0_prime": 0.02, "gamma0": 0.03, "q": 0.3}),
    "dewaele2004": GoldScale(
        "dewaele2004", "gold_dewaele_2004_vinet_5", "Dewaele, Loubeyre & Mezouar (2004), Vinet at 298 K",
        "A. Dewaele, P. Loubeyre, M. Mezouar, Phys. Rev. B 70, 094112 (2004)", "10.1103/PhysRevB.70.094112", False,
        {"V0_A3": 67.848, "K0_GPa": 167.0, "K0_prime": 6.00, "T_ref_K": 298.0},
        {"K0_prime": 0.02}),
}
_SCALE_ALIASES = {"fei": "fei2007", "fei07": "fei2007", "dewaele": "dewaele2004", "dewaele04": "dewaele2004"}


def _scale(key: str) -> GoldScale:
    k = str(key).strip().lower().replace("_", "").replace(" ", "")
    k = _SCALE_ALIASES.get(k, k)
    if k not in GOLD_SCALES:
        raise InputError(f"unknown gold scale {key!r}; choose one of {', '.join(GOLD_SCALES)}", field="scale")
    return GOLD_SCALES[k]


def parse_hkl(hkl) -> tuple[int, int, int]:
    """(h, k, l) from ``"111"``, ``"2 0 0"``, ``"(3,1,1)"``, ``"10,0,0"`` or a sequence of three integers."""
    if isinstance(hkl, int) and not isinstance(hkl, bool):
        hkl = str(hkl)
    if isinstance(hkl, str):
        text = hkl.strip().strip("()[]{}").strip()
        if re.search(r"[\s,;]", text):  # separated: multi-digit indices allowed ("10,0,0")
            parts = [p for p in re.split(r"[\s,;]+", text) if p]
        elif re.fullmatch(r"(-?\d){3}", text):  # compact: one digit per index ("111", "1-11")
            parts = re.findall(r"-?\d", text)
        else:
            parts = [text]
    else:
        parts = list(hkl) if hkl is not None else []
    try:
        out = tuple(int(p) for p in parts)
    except (TypeError, ValueError):
        raise InputError(f"{hkl!r} is not a reflection: give three Miller indices such as 111 or 2,0,0",
                         field="hkl") from None
    if len(out) != 3:
        raise InputError(f"{hkl!r} is not a reflection: give three Miller indices such as 111 or 2,0,0",
                         field="hkl")
    return out  # type: ignore[return-value]


def is_fcc_reflection(hkl) -> bool:
    """True when the face-centred cubic lattice allows (hkl): h, k, l all odd or all even, not 000."""
    h, k, l = parse_hkl(hkl)
    return (h, k, l) != (0, 0, 0) and len({abs(i) % 2 for i in (h, k, l)}) == 1


def _fcc_hkl(hkl) -> tuple[int, int, int]:
    if hkl is None:
        raise InputError("a d-spacing or 2θ needs its reflection (hkl), e.g. 111 or 200", field="hkl")
    idx = parse_hkl(hkl)
    if not is_fcc_reflection(idx):
        raise InputError(f"({''.join(map(str, idx))}) is not a reflection of fcc gold: h, k, l must be all odd or "
                         f"all even (111, 200, 220, 311, 222, ...)", field="hkl")
    return idx


def d_spacing_from_two_theta(two_theta_deg: float, wavelength_A: float) -> float:
    """Bragg's law: d = λ / (2 sin θ), Å."""
    tt = finite_number(two_theta_deg, "two_theta")
    lam = finite_number(wavelength_A, "wavelength", positive=True)
    if not 0.0 < tt < 180.0:
        raise InputError(f"2θ = {tt:g}° is outside (0°, 180°)", field="two_theta")
    return lam / (2.0 * math.sin(math.radians(tt) / 2.0))


def cubic_cell_volume(d_A: float, hkl) -> float:
    """Cubic cell volume (Å³) from the spacing of (hkl): a = d √(h² + k² + l²), V = a³."""
    h, k, l = parse_hkl(hkl)
    n = h * h + k * k + l * l
    if n == 0:
        raise InputError("(000) is not a reflection", field="hkl")
    a = finite_number(d_A, "d", positive=True) * math.sqrt(n)
    if a > _MAX_LATTICE_A:
        raise InputError(f"d = {d_A:g} Å with ({h}{k}{l}) gives a cubic cell edge of {a:.4g} Å, not a gold cell "
                         f"(a0 ≈ 4.08 Å): is the d-spacing in Å?", field="d")
    return a**3


def _version() -> str:
    from .. import __version__

    return __version__


@dataclass(frozen=True)
class GoldPressure:
    """Pressure from the Au lattice; ``to_dict()`` has unit-suffixed keys."""

    pressure_GPa: float
    pressure_err_GPa: float | None
    pressure_err_input_GPa: float | None
    pressure_err_scale_GPa: float | None
    input: str
    hkl: tuple[int, int, int] | None
    d_A: float | None
    d_err_A: float | None
    two_theta_deg: float | None
    two_theta_err_deg: float | None
    wavelength_A: float | None
    lattice_A: float
    volume_A3: float
    volume_err_A3: float | None
    V0_A3: float
    temperature_K: float
    temperature_err_K: float | None
    reference_temperature_K: float
    thermal_pressure_GPa: float | None
    scale: str
    scale_label: str
    scale_parameters: dict
    scale_reference: str
    scale_doi: str
    scale_range_GPa: tuple[float, float] | None
    eos_record: str
    library: str
    warnings: tuple[str, ...] = ()

    @property
    def volume_ratio(self) -> float:
        return self.volume_A3 / self.V0_A3

    def to_dict(self) -> dict:
        return {
            "pressure_GPa": self.pressure_GPa,
            "pressure_err_GPa": self.pressure_err_GPa,
            "pressure_err_input_GPa": self.pressure_err_input_GPa,
            "pressure_err_scale_GPa": self.pressure_err_scale_GPa,
            "input": self.input,
            "hkl": None if self.hkl is None else "".join(str(i) for i in self.hkl),
            "d_A": self.d_A,
            "d_err_A": self.d_err_A,
            "two_theta_deg": self.two_theta_deg,
            "two_theta_err_deg": self.two_theta_err_deg,
            "wavelength_A": self.wavelength_A,
            "lattice_A": self.lattice_A,
            "volume_A3": self.volume_A3,
            "volume_err_A3": self.volume_err_A3,
            "V0_A3": self.V0_A3,
            "volume_ratio": self.volume_ratio,
            "temperature_K": self.temperature_K,
            "temperature_err_K": self.temperature_err_K,
            "reference_temperature_K": self.reference_temperature_K,
            "thermal_pressure_GPa": self.thermal_pressure_GPa,
            "scale": self.scale,
            "scale_label": self.scale_label,
            "scale_parameters": dict(self.scale_parameters),
            "scale_reference": f"{self.scale_reference}, doi:{self.scale_doi}",
            "scale_range_GPa": None if self.scale_range_GPa is None else list(self.scale_range_GPa),
            "eos_record": self.eos_record,
            "library": self.library,
            "warnings": list(self.warnings),
            "hpglass_version": _version(),
        }


def _record(sc: GoldScale):
    return _library.gold_material().get_eos_record(sc.record)


def _public_parameters(record) -> dict[str, float]:
    """The record's parameters in public units (V0 in Å³ per conventional cell)."""
    names = {"V0": "V0_A3", "K0": "K0_GPa", "K0_prime": "K0_prime", "Tr": "T_ref_K", "theta0": "theta0_K",
             "gamma0": "gamma0", "q": "q"}
    out = {}
    for name, value in record.eos.parameter_values().items():
        short = name.split(".")[-1]
        if short in names:
            out[names[short]] = float(value) / (record.volume_scale if short == "V0" else 1.0)
    out.setdefault("T_ref_K", float(record.reference_temperature))
    return out


def _pressure(record, volume_A3: float, temperature_K: float, thermal: bool) -> float:
    return float(record.pressure(volume_A3, temperature_K) if thermal else record.pressure(volume_A3))


def _scale_sigma(record, volume_A3: float, temperature_K: float) -> float | None:
    """First-order scale uncertainty from the record's published parameter errors (V0 errors in public Å³)."""
    errors = record.parameter_errors or {}
    if not errors:
        return None
    from scipy.special import ndtri

    conf = record.parameter_error_confidence
    k = float(ndtri(0.5 * (1.0 + conf))) if conf else 1.0
    eos = record.eos
    values = eos.parameter_values()
    v_int = volume_A3 * record.volume_scale
    thermal = bool(record.is_thermal)

    def p_of(model) -> float:
        return float(model.pressure(v_int, temperature_K) if thermal else model.pressure(v_int))

    var = 0.0
    for name, err in errors.items():
        if not err or name not in values:
            continue
        sigma = float(err) / k * (record.volume_scale if name.split(".")[-1] == "V0" else 1.0)
        step = 1e-3 * sigma
        up = p_of(eos.with_parameters(**{name: values[name] + step}))
        down = p_of(eos.with_parameters(**{name: values[name] - step}))
        var += ((up - down) / (2 * step) * sigma) ** 2
    return math.sqrt(var)


def gold_pressure(
    *,
    volume_A3: float | None = None,
    d_A: float | None = None,
    hkl=None,
    two_theta_deg: float | None = None,
    wavelength_A: float | None = None,
    scale: str = "fei2007",
    temperature_K: float | None = None,
    volume_err_A3: float | None = None,
    d_err_A: float | None = None,
    two_theta_err_deg: float | None = None,
    temperature_err_K: float | None = None,
) -> GoldPressure:
    """Pressure (GPa) of fcc gold from exactly one of: the cell volume ``volume_A3`` (Å³, 4 atoms), a d-spacing
    ``d_A`` with its ``hkl``, or ``two_theta_deg`` with ``hkl`` and ``wavelength_A``. ``temperature_K`` defaults to
    the scale's reference temperature. See the module docstring for the scales and the uncertainties."""
    sc = _scale(scale)
    given = [name for name, v in (("volume", volume_A3), ("d", d_A), ("two_theta", two_theta_deg)) if v is not None]
    if len(given) != 1:
        raise InputError("give exactly one of: the cell volume, a d-spacing (with hkl), or 2θ (with hkl and the "
                         "wavelength)" + (f"; got {', '.join(given)}" if given else ""), field="input")
    route = given[0]
    for name, v, owner in (("volume_err", volume_err_A3, "volume"), ("d_err", d_err_A, "d"),
                           ("two_theta_err", two_theta_err_deg, "two_theta")):
        if v is not None and owner != route:
            raise InputError(f"{name} goes with a {owner} input, but the input is {route}", field=name)
    s_v = finite_number(volume_err_A3, "volume_err", allow_none=True)
    s_d = finite_number(d_err_A, "d_err", allow_none=True)
    s_tt = finite_number(two_theta_err_deg, "two_theta_err", allow_none=True)
    s_t = finite_number(temperature_err_K, "temperature_err", allow_none=True)

    idx = d = tt = lam = None
    if route == "volume":
        if hkl is not None or wavelength_A is not None:
            raise InputError("hkl and wavelength go with a d-spacing or 2θ, not with a volume", field="hkl")
        volume = finite_number(volume_A3, "volume", positive=True)
        sigma_v = s_v
    else:
        idx = _fcc_hkl(hkl)
        if route == "d":
            if wavelength_A is not None:
                raise InputError("a wavelength goes with 2θ, not with a d-spacing", field="wavelength")
            d = finite_number(d_A, "d", positive=True)
            sigma_d = s_d
        else:
            if wavelength_A is None:
                raise InputError("2θ needs the X-ray wavelength (Å)", field="wavelength")
            tt = finite_number(two_theta_deg, "two_theta")
            lam = finite_number(wavelength_A, "wavelength", positive=True)
            d = d_spacing_from_two_theta(tt, lam)
            theta = math.radians(tt) / 2.0
            sigma_d = None if s_tt is None else d / math.tan(theta) * math.radians(s_tt) / 2.0
        volume = cubic_cell_volume(d, idx)
        sigma_v = None if sigma_d is None else 3.0 * volume * sigma_d / d

    smaller_uncertainty(s_v, volume, "volume_err", "volume")
    smaller_uncertainty(s_d, d if d is not None else 0.0, "d_err", "d-spacing")
    smaller_uncertainty(s_tt, tt if tt is not None else 0.0, "two_theta_err", "2θ")
    record = _record(sc)
    v0 = float(record.reference_volume)
    t_ref = float(record.reference_temperature)
    field_name = {"volume": "volume", "d": "d", "two_theta": "two_theta"}[route]
    if volume / v0 > MAX_VOLUME_RATIO:
        raise InputError(f"gives V/V0 = {volume / v0:.4g} (V = {volume:.4g} Å³, V0 = {v0:g} Å³), above the "
                         f"{MAX_VOLUME_RATIO:g} of solid gold at any pressure: check the "
                         f"{route.replace('_', ' ')}, its unit and the reflection", field=field_name)
    if volume / v0 < MIN_VOLUME_RATIO:
        unit = "Å³" if route == "volume" else "Å"
        raise InputError(f"gives V/V0 = {volume / v0:.3g} (V = {volume:.4g} Å³, V0 = {v0:g} Å³), far beyond any gold "
                         f"scale: is the {route.replace('_', ' ')} in {unit if route != 'two_theta' else 'degrees'}"
                         f"{' and the wavelength in Å' if route == 'two_theta' else ''}?", field=field_name)

    warnings = []
    thermal = sc.thermal
    if temperature_K is None:
        t = t_ref
        smaller_uncertainty(s_t, t, "temperature_err", "temperature")
    else:
        t = finite_number(temperature_K, "temperature", positive=True)
        smaller_uncertainty(s_t, t, "temperature_err", "temperature")
        if t > MAX_TEMPERATURE_K:
            raise InputError(f"{t:g} K is above the {MAX_TEMPERATURE_K:g} K limit of the gold scales (solid gold; "
                             f"{sc.label} was measured to 2330 K)", field="temperature")
        if not thermal and abs(t - t_ref) > ROOM_TEMPERATURE_TOLERANCE_K:
            raise InputError(f"the {sc.key} scale is a {t_ref:g} K isotherm without a thermal model"
                             f"; {t:g} K needs a thermal scale (fei2007)", field="temperature")
    if s_t is not None and not thermal:
        raise InputError(f"the {sc.key} scale has no thermal model to propagate a temperature uncertainty "
                         f"through", field="temperature_err")
    if not thermal:
        t = t_ref

    p = _pressure(record, volume, t, thermal)
    if p < MIN_PRESSURE_GPA:
        raise InputError(f"gives V = {volume:.4f} Å³ > V0 = {v0:g} Å³ and P = {p:.2f} GPa: check the input, its "
                         f"units and the reflection", field=field_name)
    if p < 0:
        warnings.append(f"negative pressure {p:.3f} GPa (V = {volume:.4f} Å³ > V0 = {v0:g} Å³)")
    validity = record.validity
    prange = tuple(float(x) for x in validity.pressure_gpa) if validity.pressure_gpa is not None else None
    if prange is not None and p > prange[1]:
        warnings.append(f"{p:.1f} GPa is beyond the {prange[0]:g}-{prange[1]:g} GPa range of the data behind "
                        f"{sc.label}")
    trange = validity.temperature_k
    if thermal and trange is not None and not trange[0] <= t <= trange[1]:
        warnings.append(f"{t:g} K is outside the {trange[0]:g}-{trange[1]:g} K of the data behind {sc.label} "
                        f"(extrapolated thermal pressure)")

    p_thermal = None
    if thermal:
        p_thermal = p - _pressure(record, volume, t_ref, True)

    terms = []
    if sigma_v is not None:
        h = 1e-6 * volume
        dp_dv = (_pressure(record, volume + h, t, thermal) - _pressure(record, volume - h, t, thermal)) / (2 * h)
        terms.append(dp_dv * sigma_v)
    if s_t is not None:
        ht = 0.5
        dp_dt = (_pressure(record, volume, t + ht, True) - _pressure(record, volume, max(t - ht, 1e-3), True)) / (
            t + ht - max(t - ht, 1e-3))
        terms.append(dp_dt * s_t)
    err_in = math.sqrt(sum(x * x for x in terms)) if terms else None
    err_scale = _scale_sigma(record, volume, t)
    parts = [e for e in (err_in, err_scale) if e is not None]
    err = math.sqrt(sum(e * e for e in parts)) if parts else None

    return GoldPressure(
        pressure_GPa=p, pressure_err_GPa=err, pressure_err_input_GPa=err_in, pressure_err_scale_GPa=err_scale,
        input=route, hkl=idx, d_A=d, d_err_A=s_d if route == "d" else None, two_theta_deg=tt,
        two_theta_err_deg=s_tt, wavelength_A=lam, lattice_A=volume ** (1.0 / 3.0), volume_A3=volume,
        volume_err_A3=sigma_v, V0_A3=v0, temperature_K=t, temperature_err_K=s_t, reference_temperature_K=t_ref,
        thermal_pressure_GPa=p_thermal, scale=sc.key, scale_label=sc.label, scale_parameters=_public_parameters(record),
        scale_reference=sc.reference, scale_doi=sc.doi, scale_range_GPa=prange, eos_record=sc.record,
        library=_library.library_version(), warnings=tuple(warnings),
    )
