"""Pressure from the ruby R1 fluorescence line, with the ambient-pressure temperature shift of R1 taken out.

Scales (``scale=``), evaluated by peritheos (see :mod:`hpglass.pressure._library`); the numbers below are the
published ones, and ``tests/pressure`` asserts that the library's records still hold exactly these:

``"mao1986"`` — Mao, Xu & Bell, J. Geophys. Res. 91(B5), 4673–4676 (1986), doi:10.1029/JB091iB05p04673:
    quasi-hydrostatic calibration in argon against Cu and Ag, to 80 GPa,
    P = (A/B)[(λ/λ0)^B − 1], A = 1904 GPa, B = 7.665.
``"dewaele2008"`` — Dewaele, Torrent, Loubeyre & Mezouar, Phys. Rev. B 78, 104102 (2008),
    doi:10.1103/PhysRevB.78.104102 (Section IV and Fig. 3): hydrostatic (helium) calibration against reduced
    shock-wave isotherms of ten metals, to 153 GPa; same form with A = 1920 GPa, B = 9.61.
``"ruby2020"`` — Shen et al., "Toward an international practical pressure scale: a proposal for an IPPS ruby
    gauge (IPPS-Ruby2020)", High Press. Res. 40(3), 299–314 (2020), doi:10.1080/08957959.2020.1791107, the
    AIRAPT-endorsed scale, to 150 GPa: P = A (Δλ/λ0)[1 + m (Δλ/λ0)], A = 1.87(±0.01)·10³ GPa, m = 5.63(±0.03).
    The printed ± are taken as standard uncertainties and propagated into ``pressure_err_scale_GPa``; Mao (1986)
    and Dewaele (2008) print none.

λ0, the R1 wavelength at ambient pressure: the default is the library's value for the scale — 694.24 nm for
Mao (1986) and Dewaele (2008) (the common 298 K value), 694.25 nm for Ruby2020 (Shen et al. 2020: "λ0 is the
wavelength of the R1-line near 694.25 nm at ambient condition"). The two differ by 0.01 nm ≈ 0.03 GPa; measure
λ0 on your own spectrometer at ambient pressure and pass it (``lambda0_nm``) whenever you can — a spectrometer
offset cancels in λ/λ0 only then.

Temperature (``temperature_K``): the scales are room-temperature calibrations. At temperature T the ambient-
pressure R1 line moves by δ(T) − δ(T_λ0), T_λ0 the temperature at which λ0 was taken (``lambda0_temperature_K``,
298 K), so the pressure is computed from λ against λ0(T) = λ0 + δ(T) − δ(T_λ0) — the usual practice (the
pressure–temperature cross term is neglected; see Datchi et al., High Press. Res. 27, 447 (2007) for its size).
δ(T) (``temperature_correction=``; coefficients are library-free and typed from the papers):

``"ragan1992"`` (default) — Ragan, Gustavsen & Schiferl, J. Appl. Phys. 72, 5539 (1992), doi:10.1063/1.351951,
    0–600 K: the R1 wavenumber ν(T) = 14423 + 4.49·10⁻² T − 4.81·10⁻⁴ T² + 3.71·10⁻⁷ T³ cm⁻¹, δ = 10⁷/ν nm.
    Only differences of δ are used, so the absolute offset of the fit (and air vs vacuum, a 3·10⁻⁴ relative
    effect on a shift of a few nm) does not matter. Slope at 298 K: +0.00689 nm/K.
``"vos1991"`` — Vos & Schouten, J. Appl. Phys. 69, 6744 (1991), doi:10.1063/1.348903, measured 150–400 K:
    δ = 6.591·10⁻² ΔT + 7.624·10⁻⁵ ΔT² − 1.733·10⁻⁷ ΔT³ Å, ΔT = T − 300 K (here converted to nm).

The two agree to 0.04 nm (≈ 0.1 GPa) between 200 and 400 K and to 0.06 nm down to 150 K (checked in the
tests); Vos & Schouten found 0.03 nm between ruby samples.

Uncertainty: ``pressure_err_input_GPa`` propagates the given standard uncertainties of λ, λ0 and T to first order
(dP/dλ from the scale's closed form); ``pressure_err_scale_GPa`` the scale's printed parameter uncertainties;
``pressure_err_GPa`` is their quadrature sum (None when neither exists).

Bad input raises :class:`hpglass.errors.InputError` naming the field: a non-finite or non-positive wavelength, a
value outside 650–800 nm (R1 of ruby from ambient to ≈ 300 GPa — a value in Å or cm⁻¹ lands far outside), a
pressure below −1 GPa (λ well below λ0: wrong λ0 or a wrong line), an unknown scale or correction, a temperature
outside the correction's range. A pressure between −1 and 0 GPa (λ just below λ0: noise, or λ0 from another day)
is returned with a warning, as is a pressure beyond the scale's calibrated range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..errors import InputError
from . import _library
from ._checks import finite_number, smaller_uncertainty

__all__ = [
    "RUBY_SCALES",
    "TEMPERATURE_CORRECTIONS",
    "RubyPressure",
    "RubyScale",
    "TemperatureCorrection",
    "ruby_pressure",
    "ruby_r1_temperature_shift",
]

#: pressures below this are an error, between it and 0 a warning
MIN_PRESSURE_GPA = -1.0
#: plausible ruby R1 wavelengths, nm (ambient 694.2 nm; ≈ 740 nm at 150 GPa)
R1_RANGE_NM = (650.0, 800.0)
#: the temperature at which the default λ0 applies, K
LAMBDA0_TEMPERATURE_K = 298.0


@dataclass(frozen=True)
class RubyScale:
    """One ruby scale: its key, the peritheos record, the citation and the published parameters."""

    key: str
    record: str
    label: str
    reference: str
    doi: str
    equation: str
    published: dict[str, float]
    published_errors: dict[str, float] = field(default_factory=dict)


RUBY_SCALES: dict[str, RubyScale] = {
    "mao1986": RubyScale(
        "mao1986", "ruby_mao_1986", "Mao, Xu & Bell (1986), quasi-hydrostatic (Ar)",
        "H. K. Mao, J. Xu, P. M. Bell, J. Geophys. Res. 91(B5), 4673-4676 (1986)", "10.1029/JB091iB05p04673",
        "P = (A/B)[(lambda/lambda0)^B - 1]", {"A_gpa": 1904.0, "B": 7.665}),
    "dewaele2008": RubyScale(
        "dewaele2008", "ruby_dewaele_2008", "Dewaele, Torrent, Loubeyre & Mezouar (2008), hydrostatic (He)",
        "A. Dewaele, M. Torrent, P. Loubeyre, M. Mezouar, Phys. Rev. B 78, 104102 (2008)",
        "10.1103/PhysRevB.78.104102", "P = (A/B)[(lambda/lambda0)^B - 1]", {"A_gpa": 1920.0, "B": 9.61}),
    "ruby2020": RubyScale(
        "ruby2020", "ruby_shen_2020", "IPPS-Ruby2020, Shen et al. (2020)",
        "G. Shen et al., High Press. Res. 40(3), 299-314 (2020)", "10.1080/08957959.2020.1791107",
        "P = A (dlambda/lambda0)[1 + m (dlambda/lambda0)]", {"A_gpa": 1870.0, "m": 5.63},
        {"A_gpa": 10.0, "m": 0.03}),
}
_SCALE_ALIASES = {"mao": "mao1986", "mao86": "mao1986", "dewaele": "dewaele2008", "dewaele08": "dewaele2008",
                  "shen2020": "ruby2020", "ipps": "ruby2020", "ipps-ruby2020": "ruby2020"}


def _ragan1992(t: float) -> float:
    """R1 vacuum wavelength (nm) of Ragan, Gustavsen & Schiferl (1992): ν(T) in cm⁻¹ → 10⁷/ν."""
    nu = 14423.0 + 4.49e-2 * t - 4.81e-4 * t**2 + 3.71e-7 * t**3
    return 1e7 / nu


def _vos1991(t: float) -> float:
    """R1 shift (nm) from 300 K of Vos & Schouten (1991): coefficients in Å, /10 → nm."""
    dt = t - 300.0
    return 0.1 * (6.591e-2 * dt + 7.624e-5 * dt**2 - 1.733e-7 * dt**3)


@dataclass(frozen=True)
class TemperatureCorrection:
    """The ambient-pressure R1 position δ(T) (nm, any zero) of one paper and the range it was measured over."""

    key: str
    label: str
    reference: str
    doi: str
    range_K: tuple[float, float]
    position_nm: object  # Callable[[float], float]

    def shift_nm(self, temperature_K: float, reference_K: float = LAMBDA0_TEMPERATURE_K) -> float:
        """δ(T) − δ(T_ref): how far R1 at ambient pressure moves from T_ref to T."""
        for name, t in (("temperature", temperature_K), ("lambda0_temperature", reference_K)):
            lo, hi = self.range_K
            if not math.isfinite(t) or not lo <= t <= hi:
                raise InputError(f"{t:g} K is outside the {lo:g}-{hi:g} K range of the {self.label} ruby "
                                 f"temperature correction", field=name)
        return float(self.position_nm(temperature_K) - self.position_nm(reference_K))


TEMPERATURE_CORRECTIONS: dict[str, TemperatureCorrection] = {
    "ragan1992": TemperatureCorrection(
        "ragan1992", "Ragan, Gustavsen & Schiferl (1992)",
        "D. D. Ragan, R. Gustavsen, D. Schiferl, J. Appl. Phys. 72, 5539-5544 (1992)", "10.1063/1.351951",
        (0.0, 600.0), _ragan1992),
    "vos1991": TemperatureCorrection(
        "vos1991", "Vos & Schouten (1991)", "W. L. Vos, J. A. Schouten, J. Appl. Phys. 69, 6744-6746 (1991)",
        "10.1063/1.348903", (150.0, 400.0), _vos1991),
}


def ruby_r1_temperature_shift(temperature_K: float, *, reference_K: float = LAMBDA0_TEMPERATURE_K,
                              correction: str = "ragan1992") -> float:
    """Shift (nm) of the ambient-pressure ruby R1 line from ``reference_K`` to ``temperature_K``."""
    return _correction(correction).shift_nm(float(temperature_K), float(reference_K))


def _correction(key: str) -> TemperatureCorrection:
    k = str(key).strip().lower().replace("_", "").replace(" ", "")
    k = {"ragan": "ragan1992", "vos": "vos1991", "vosschouten1991": "vos1991"}.get(k, k)
    if k not in TEMPERATURE_CORRECTIONS:
        raise InputError(f"unknown ruby temperature correction {key!r}; choose one of "
                         f"{', '.join(TEMPERATURE_CORRECTIONS)}", field="temperature_correction")
    return TEMPERATURE_CORRECTIONS[k]


def _scale(key: str) -> RubyScale:
    k = str(key).strip().lower().replace("_", "").replace(" ", "")
    k = _SCALE_ALIASES.get(k, k)
    if k not in RUBY_SCALES:
        raise InputError(f"unknown ruby scale {key!r}; choose one of {', '.join(RUBY_SCALES)}", field="scale")
    return RUBY_SCALES[k]


def _closed_form(model: str, params, ratio: float) -> tuple[float, float]:
    """(P, dP/d(λ/λ0)) of the scale's published equation, also for λ/λ0 < 1 where the library stops."""
    a = float(params["A_gpa"])
    if model == "power_law":
        b = float(params["B"])
        return (a / b) * (ratio**b - 1.0), a * ratio ** (b - 1.0)
    if model == "quadratic_shift":
        m, x = float(params["m"]), ratio - 1.0
        return a * x * (1.0 + m * x), a * (1.0 + 2.0 * m * x)
    raise InputError(f"ruby model {model!r} is not supported here", field="scale")  # pragma: no cover


def _version() -> str:
    from .. import __version__

    return __version__


@dataclass(frozen=True)
class RubyPressure:
    """Pressure from one ruby R1 wavelength; ``to_dict()`` has unit-suffixed keys."""

    pressure_GPa: float
    pressure_err_GPa: float | None
    pressure_err_input_GPa: float | None
    pressure_err_scale_GPa: float | None
    lambda_nm: float
    lambda_err_nm: float | None
    lambda0_nm: float
    lambda0_err_nm: float | None
    lambda0_source: str
    lambda0_temperature_K: float
    lambda0_at_T_nm: float
    temperature_K: float | None
    temperature_err_K: float | None
    temperature_correction: str | None
    temperature_shift_nm: float
    scale: str
    scale_label: str
    scale_equation: str
    scale_parameters: dict
    scale_reference: str
    scale_doi: str
    scale_range_GPa: tuple[float, float] | None
    calibration_record: str
    library: str
    warnings: tuple[str, ...] = ()

    @property
    def delta_lambda_nm(self) -> float:
        return self.lambda_nm - self.lambda0_at_T_nm

    def to_dict(self) -> dict:
        corr = TEMPERATURE_CORRECTIONS.get(self.temperature_correction or "")
        return {
            "pressure_GPa": self.pressure_GPa,
            "pressure_err_GPa": self.pressure_err_GPa,
            "pressure_err_input_GPa": self.pressure_err_input_GPa,
            "pressure_err_scale_GPa": self.pressure_err_scale_GPa,
            "lambda_nm": self.lambda_nm,
            "lambda_err_nm": self.lambda_err_nm,
            "lambda0_nm": self.lambda0_nm,
            "lambda0_err_nm": self.lambda0_err_nm,
            "lambda0_source": self.lambda0_source,
            "lambda0_temperature_K": self.lambda0_temperature_K,
            "lambda0_at_T_nm": self.lambda0_at_T_nm,
            "delta_lambda_nm": self.delta_lambda_nm,
            "temperature_K": self.temperature_K,
            "temperature_err_K": self.temperature_err_K,
            "temperature_correction": self.temperature_correction,
            "temperature_correction_reference": None if corr is None else f"{corr.reference}, doi:{corr.doi}",
            "temperature_shift_nm": self.temperature_shift_nm,
            "scale": self.scale,
            "scale_label": self.scale_label,
            "scale_equation": self.scale_equation,
            "scale_parameters": dict(self.scale_parameters),
            "scale_reference": f"{self.scale_reference}, doi:{self.scale_doi}",
            "scale_range_GPa": None if self.scale_range_GPa is None else list(self.scale_range_GPa),
            "calibration_record": self.calibration_record,
            "library": self.library,
            "warnings": list(self.warnings),
            "hpglass_version": _version(),
        }


def ruby_pressure(
    lambda_nm: float,
    *,
    scale: str = "ruby2020",
    lambda0_nm: float | None = None,
    temperature_K: float | None = None,
    lambda0_temperature_K: float = LAMBDA0_TEMPERATURE_K,
    temperature_correction: str = "ragan1992",
    lambda_err_nm: float | None = None,
    lambda0_err_nm: float | None = None,
    temperature_err_K: float | None = None,
) -> RubyPressure:
    """Pressure (GPa) from the ruby R1 wavelength ``lambda_nm`` measured at ``temperature_K`` (None: at λ0's
    temperature, no correction). See the module docstring for the scales, λ0 and the temperature correction."""
    sc = _scale(scale)
    lam = finite_number(lambda_nm, "lambda_nm", positive=True)
    lo, hi = R1_RANGE_NM
    if not lo <= lam <= hi:
        raise InputError(f"{lam:g} nm is not a ruby R1 wavelength ({lo:g}-{hi:g} nm; give nm, not Å or cm⁻¹)",
                         field="lambda_nm")
    cal = _library.ruby_calibration(sc.record)
    params = dict(cal.parameters)
    if lambda0_nm is None:
        lam0, lam0_source = float(cal.reference_wavelength_nm), f"default of the {sc.key} scale"
    else:
        lam0, lam0_source = finite_number(lambda0_nm, "lambda0_nm", positive=True), "given"
        if not lo <= lam0 <= hi:
            raise InputError(f"{lam0:g} nm is not a ruby R1 wavelength ({lo:g}-{hi:g} nm)", field="lambda0_nm")
    t0 = finite_number(lambda0_temperature_K, "lambda0_temperature_K", positive=True)
    s_lam = finite_number(lambda_err_nm, "lambda_err_nm", allow_none=True)
    s_lam0 = finite_number(lambda0_err_nm, "lambda0_err_nm", allow_none=True)
    s_t = finite_number(temperature_err_K, "temperature_err_K", allow_none=True)

    corr_key, shift, dshift_dt = None, 0.0, 0.0
    t = finite_number(temperature_K, "temperature_K", positive=True, allow_none=True)
    smaller_uncertainty(s_lam, lam, "lambda_err_nm", "R1 wavelength")
    smaller_uncertainty(s_lam0, lam0, "lambda0_err_nm", "ambient R1 wavelength")
    smaller_uncertainty(s_t, t if t is not None else t0, "temperature_err_K", "temperature")
    if t is not None:
        corr = _correction(temperature_correction)
        corr_key = corr.key
        shift = corr.shift_nm(t, t0)
        h = 0.5
        dshift_dt = (corr.position_nm(t + h) - corr.position_nm(t - h)) / (2 * h)
    elif s_t is not None:
        raise InputError("a temperature uncertainty needs the temperature (--temperature)", field="temperature_err")

    lam0_t = lam0 + shift
    ratio = lam / lam0_t
    p_formula, dp_dratio = _closed_form(cal.model, params, ratio)
    # the library evaluates the scale (it refuses λ < λ0, where the same closed form continues smoothly)
    p = float(cal.pressure_from_ratio(ratio)) if ratio >= 1.0 else p_formula
    if p < MIN_PRESSURE_GPA:
        raise InputError(f"λ = {lam:g} nm is {lam0_t - lam:.3f} nm below λ0 = {lam0_t:.3f} nm "
                         f"(P = {p:.2f} GPa): check λ0 (--lambda0), the line (R1, not R2) and the units",
                         field="lambda_nm")
    warnings = []
    if p < 0:
        warnings.append(f"negative pressure {p:.3f} GPa: λ is {lam0_t - lam:.3f} nm below λ0 (noise, or λ0 from "
                        f"another calibration of the spectrometer?)")
    validity = dict(cal.validity)
    prange = validity.get("pressure_gpa")
    prange = None if prange is None else (float(prange[0]), float(prange[1]))
    if prange is not None and p > prange[1]:
        warnings.append(f"{p:.1f} GPa is beyond the {prange[0]:g}-{prange[1]:g} GPa calibrated by {sc.label}")

    # first-order propagation: dP/dλ = f'(r)/λ0(T), dP/dλ0(T) = −f'(r) λ/λ0(T)²
    terms = []
    if s_lam is not None:
        terms.append(dp_dratio / lam0_t * s_lam)
    dp_dlam0 = -dp_dratio * lam / lam0_t**2
    if s_lam0 is not None:
        terms.append(dp_dlam0 * s_lam0)
    if s_t is not None:
        terms.append(dp_dlam0 * dshift_dt * s_t)
    err_in = math.sqrt(sum(x * x for x in terms)) if terms else None

    err_scale = None
    doc_errors = _library.ruby_calibration_document(sc.record).get("parameter_errors") or {}
    perr = {k: float(v) for k, v in doc_errors.items() if v and k in ("A_gpa", "B", "m")}
    if perr:
        var = 0.0
        for name, sig in perr.items():
            hp = dict(params, **{name: params[name] + 1e-6 * max(abs(params[name]), 1.0)})
            dp = (_closed_form(cal.model, hp, ratio)[0] - p_formula) / (hp[name] - params[name])
            var += (dp * sig) ** 2
        err_scale = math.sqrt(var)
    parts = [e for e in (err_in, err_scale) if e is not None]
    err = math.sqrt(sum(e * e for e in parts)) if parts else None

    return RubyPressure(
        pressure_GPa=p, pressure_err_GPa=err, pressure_err_input_GPa=err_in, pressure_err_scale_GPa=err_scale,
        lambda_nm=lam, lambda_err_nm=s_lam, lambda0_nm=lam0, lambda0_err_nm=s_lam0, lambda0_source=lam0_source,
        lambda0_temperature_K=t0, lambda0_at_T_nm=lam0_t, temperature_K=t, temperature_err_K=s_t,
        temperature_correction=corr_key, temperature_shift_nm=shift, scale=sc.key, scale_label=sc.label,
        scale_equation=sc.equation,
        scale_parameters={k: float(v) for k, v in params.items() if k != "reference_wavelength_nm"},
        scale_reference=sc.reference, scale_doi=sc.doi, scale_range_GPa=prange, calibration_record=sc.record,
        library=_library.library_version(), warnings=tuple(warnings),
    )
