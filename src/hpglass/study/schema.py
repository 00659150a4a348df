"""The study file (TOML): what was measured and simulated, where the files are, how to analyse them.

Validated with pydantic (``extra="forbid"`` everywhere: a misspelt key or a key with the wrong unit suffix is an
error, not silently ignored). Every error becomes one :class:`~hpglass.errors.InputError` naming the study file and
the field path, e.g. ``study.toml [diffraction[0].pressures_GPa]: 14 pressures for 13 files``. Relative paths
resolve against the folder of the study file; every file must exist when the study is loaded.

Strict: numbers and booleans are never coerced (``pressure_GPa = true``, ``wavelength_A = "0.2952"`` and
``refine_density = "yes"`` are errors; a TOML integer is fine where a float is expected), NaN and infinities are
refused, a UTF-8 byte-order mark is accepted. Every path must resolve (symbolic links followed) inside the study's
folder — or inside hpglass's own bundled data — unless ``[study] allow_outside_paths = true``; system files (under
/proc, /sys, /dev) and anything that is not a regular file (FIFO, socket, device) are refused before anything
opens them, with the opt-in too.

Units are part of the field names (``pressures_GPa``, ``wavelength_A``, ``fields_T``, ``ruby_R1_nm``); a key
with another unit (``wavelength_nm``) is reported as a wrong unit with the name to use.

Sections (see README "Study" for a complete example):

* ``[study]`` name, description, allow_outside_paths.
* ``[sample]`` composition; ``[sample.crystal]`` the crystal reference: ambient density, an EOS (BM2/BM3/Vinet/…
  parameters, stated as literature or assumed), Pnma atomic coordinates (optional, with their source) and whether
  to compute the bcc reference.
* ``[[diffraction]]`` runs: files (1D patterns, or 2D images with their poni, mask, frame and transfer images),
  background (one) or backgrounds (one per file), wavelength_A, one pressure source per file (pressures_GPa, ruby
  R1 wavelengths, or gold d-spacings), the cell's anvil_thickness_mm / sample_thickness_um (one number or one per
  file) and refine_thickness, direction, provenance.
* ``[[transport]]`` runs: R(T) curves (file, pressure_GPa, channel, fields_T) and an optional room-temperature
  resistivity-vs-pressure table; direction; provenance.
* ``[[simulation]]`` runs: trajectory files per pressure (``frames = {"0" = "md_0GPa.extxyz"}`` or a list of
  ``{pressure_GPa, file}`` tables), crystal reference trajectories, ELF grids of chosen frames
  (``elf = [{pressure_GPa, file}]``: cube/ELFCAR, gzip allowed), bond cutoffs, ring criterion; provenance.
* ``[analysis]`` settings shared by the streams (reduction, fits, criteria, workers).
"""

from __future__ import annotations

import functools
import re
import stat
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..errors import InputError

__all__ = ["Analysis", "Crystal", "CrystalEos", "DiffractionRun", "Provenance", "SimulationElf",
           "SimulationFrames", "SimulationRun", "Study", "TransportCurve", "TransportRun", "load_study", "parse_study"]

#: unit suffixes a field name may carry; used to tell "wrong unit" from "unknown field"
_UNIT_SUFFIXES = ("GPa", "cm3", "MPa", "kbar", "bar", "Pa", "A", "nm", "pm", "m", "T", "Oe", "mT", "K", "C", "g_cm3",
                  "kg_m3", "A-1", "nm-1", "deg", "rad", "ohm", "ohm_cm", "S_cm", "eV", "mm", "um")


#: strict scalars: TOML ``true`` is not 1, ``"0.2952"`` is not a number, ``"yes"`` is not true. A TOML integer is a
#: float where a float is expected (``K0_GPa = 30``); NaN and infinities are refused by the models' config.
Float = Annotated[float, Strict()]
Int = Annotated[int, Strict()]
Bool = Annotated[bool, Strict()]

#: system locations a study never reads, even with ``allow_outside_paths``: device nodes, kernel and process files
_SYSTEM_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))


@functools.cache
def _bundled_data() -> Path:
    """hpglass's own data folder (read-only files shipped with the package: the demo studies read them in place)."""
    from importlib import resources

    return Path(str(resources.files("hpglass") / "data")).resolve()


def _special_kind(mode: int) -> str | None:
    """What a non-regular file is (None for a regular file)."""
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) else "not a regular file"


def _file(value: Path, info: ValidationInfo) -> Path:
    """Resolve a path against the study's folder and check, before anything opens it, that it is a regular file
    inside the study's folder (or in hpglass's bundled data; anywhere with ``allow_outside_paths = true``) and not
    a system file. Symbolic links are judged by their resolved target, which is the path returned."""
    ctx = info.context or {}
    base = ctx.get("base")
    folder = Path(base) if base is not None else Path.cwd()
    p = Path(value).expanduser()
    if not p.is_absolute():
        p = folder / p
    try:
        target = p.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise ValueError(f"cannot resolve {p}: {exc}") from None
    shown = str(value) if str(value) == str(target) else f"{value} (→ {target})"
    if any(target.is_relative_to(r) for r in _SYSTEM_ROOTS):
        raise ValueError(f"{shown} is a system file (under /proc, /sys or /dev): a study reads data files only")
    root = folder.resolve()
    if not (ctx.get("allow_outside") or target.is_relative_to(root) or target.is_relative_to(_bundled_data())):
        raise ValueError(f"{shown} is outside the study's folder {root}; to read files outside it, set "
                         "allow_outside_paths = true in [study]")
    try:
        mode = target.stat().st_mode  # stat, not open: a FIFO or device is refused without blocking on it
    except FileNotFoundError:
        raise ValueError(f"file not found: {target}") from None
    except OSError as exc:
        raise ValueError(f"cannot read {target}: {exc.strerror or exc}") from None
    kind = _special_kind(mode)
    if kind == "a directory":
        raise ValueError(f"not a file: {target}")
    if kind is not None:
        raise ValueError(f"{target} is {kind}, not a data file")
    return target


StudyFile = Annotated[Path, AfterValidator(_file)]


def _at(field: str, message: str) -> ValueError:
    """A model-level error that belongs to one of the model's fields (the translator moves it there)."""
    return ValueError(f"@{field}: {message}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


#: in a stream's label: the data were made from the reference study's numbers (claims on them: "by construction")
FROM_REFERENCE_MARK = "(from the reference's numbers)"


class Provenance(_Model):
    """Where a stream's data come from: measured, or synthetic/simulated with the model that made them."""

    kind: Literal["measured", "synthetic", "simulated"]
    model: str | None = Field(None, description="the model/generator/potential (required unless measured)")
    note: str | None = None
    from_reference: Bool = Field(False, description=(
        "the data were made from the reference study's own numbers: a claim measured on them agrees by "
        "construction and is never counted as evidence"))

    @model_validator(mode="after")
    def _model_needed(self) -> Provenance:
        if self.kind != "measured" and not (self.model or "").strip():
            raise _at("model", f"{self.kind} data must state the model that made them")
        return self

    @property
    def label(self) -> str:
        mark = f" {FROM_REFERENCE_MARK}" if self.from_reference else ""
        if self.kind == "measured":
            return "measured" + mark
        return f"{self.kind.upper()}{mark} — {self.model}"


class CrystalEos(_Model):
    """A crystal EOS by its parameters (``rho0_g_cm3`` at ambient, ``K0_GPa``, ``K0p``)."""

    form: Literal["bm2", "bm3", "bm4", "vinet", "murnaghan"] = "bm3"
    rho0_g_cm3: Float = Field(gt=0)
    K0_GPa: Float = Field(gt=0)
    K0p: Float | None = None
    label: str = "crystal EOS"
    status: Literal["literature", "assumed", "simulated"] = Field(
        description="literature values (cite them in label), assumed model values, or fitted to simulated "
                    "crystals (name the potential in label)")


class CrystalStructure(_Model):
    """A crystal structure relaxed at ``pressure_GPa`` (any file :func:`ase.io.read` reads; its last frame)."""

    pressure_GPa: Float = Field(ge=-0.5, le=1000)
    file: StudyFile


class Crystal(_Model):
    """The crystalline reference of the sample."""

    density_g_cm3: Float | None = Field(None, gt=0, description="ambient density of the crystal")
    density_source: str | None = None
    eos: CrystalEos | None = None
    pnma_coordinates: list[tuple[str, Float, Float]] | None = Field(
        None, description="Pnma independent atoms on 4c as (label, x, z); required for the Pnma r1 reference")
    pnma_source: str | None = None
    pnma_structures: list[CrystalStructure] = Field(
        default_factory=list, description="Pnma structures relaxed at given pressures: the Pnma r1 reference at "
                                          "those pressures (used instead of pnma_coordinates)")
    bcc: Bool = Field(True, description="compute the bcc (Im-3m) reference along the crystal EOS")
    reference_sigma_A: Float = Field(0.08, gt=0, description="Gaussian broadening of the reference g(r)")

    @model_validator(mode="after")
    def _checks(self) -> Crystal:
        if self.pnma_coordinates is not None and not (self.pnma_source or "").strip():
            raise _at("pnma_source", "Pnma coordinates need their source (paper or database entry)")
        return self


class Sample(_Model):
    name: str | None = None
    composition: str
    crystal: Crystal | None = None

    @field_validator("composition")
    @classmethod
    def _parse(cls, v: str) -> str:
        from ..composition import Composition

        try:
            Composition.parse(v)
        except InputError as exc:
            raise ValueError(exc.message) from None
        return v


class DiffractionRun(_Model):
    """One diffraction pressure run: one pattern per pressure point.

    ``files`` holds 1D patterns (.xy/.chi/.dat …) or 2D detector images, told apart by their suffix
    (:data:`hpglass.io.images.IMAGE_SUFFIXES`, the same rule as ``hpglass scatter``); images are integrated with
    the run's ``poni`` (required then), optional ``mask``, ``frame`` (auto | pyfai | dioptas) and the optional
    Dioptas transfer correction (``transfer_original`` + ``transfer_response``): :func:`hpglass.io.integrate_image`.
    The empty cell is one ``background`` for the run or ``backgrounds`` with one per file (patterns or images).
    Diamond-cell geometry for the corrections of :mod:`hpglass.scattering.dac`: ``anvil_thickness_mm`` and
    ``sample_thickness_um``, each one number or one per file, and ``refine_thickness``.
    """

    name: str
    direction: Literal["compression", "decompression"] = "compression"
    files: list[StudyFile]
    background: StudyFile | None = None
    backgrounds: list[StudyFile] | None = Field(None, description="one empty-cell background per file")
    wavelength_A: Float = Field(gt=0, lt=5)
    pressures_GPa: list[Float] | None = None
    pressure_errs_GPa: list[Float] | None = None
    ruby_R1_nm: list[Float] | None = None
    ruby_scale: Literal["mao1986", "dewaele2008", "ruby2020"] = "ruby2020"
    ruby_temperature_K: Float | None = Field(None, gt=0)
    gold_d_A: list[Float] | None = None
    gold_hkl: str = "111"
    gold_scale: Literal["fei2007", "dewaele2004"] = "fei2007"
    poni: StudyFile | None = Field(None, description="pyFAI calibration of the run's 2D images")
    mask: StudyFile | None = Field(None, description="mask of the 2D images (non-zero = masked)")
    frame: Literal["auto", "pyfai", "dioptas"] = Field("auto", description="image frame of the calibration")
    transfer_original: StudyFile | None = Field(None, description="Dioptas transfer correction: image without")
    transfer_response: StudyFile | None = Field(None, description="Dioptas transfer correction: image with")
    anvil_thickness_mm: Float | list[Float] | None = Field(None, description="each anvil along the beam, mm")
    sample_thickness_um: Float | list[Float] | None = Field(None, description="sample along the beam, µm")
    refine_thickness: Bool = False
    provenance: Provenance

    @model_validator(mode="after")
    def _checks(self) -> DiffractionRun:
        n = len(self.files)
        if n == 0:
            raise _at("files", "no files: a diffraction run needs at least one pattern")
        sources = [k for k in ("pressures_GPa", "ruby_R1_nm", "gold_d_A") if getattr(self, k) is not None]
        if len(sources) != 1:
            raise _at("pressures_GPa", "give exactly one pressure source per file: pressures_GPa, ruby_R1_nm or "
                      "gold_d_A" + (f" (got {', '.join(sources)})" if sources else ""))
        for key in (*sources, "pressure_errs_GPa"):
            vals = getattr(self, key)
            if vals is not None and len(vals) != n:
                what = {"pressures_GPa": "pressures", "ruby_R1_nm": "ruby readings", "gold_d_A": "gold readings",
                        "pressure_errs_GPa": "pressure errors"}[key]
                raise _at(key, f"{len(vals)} {what} for {n} files")
        if self.pressures_GPa is not None:
            for i, p in enumerate(self.pressures_GPa):
                if not -0.5 <= p <= 1000:
                    raise _at(f"pressures_GPa[{i}]", f"{p:g} GPa is not a pressure in GPa (expected −0.5 … 1000)")
        if len(set(map(str, self.files))) != n:
            raise _at("files", "a file is listed twice")
        self._check_backgrounds(n)
        for key, (hi, unit, what) in _GEOMETRY_LIMITS.items():
            _per_file_values(getattr(self, key), key, n, hi, unit, what)
        self._check_images()
        return self

    def _check_backgrounds(self, n: int) -> None:
        if self.background is not None and self.backgrounds is not None:
            raise _at("backgrounds", "give background (one for the run) or backgrounds (one per file), not both")
        if self.backgrounds is not None and len(self.backgrounds) != n:
            raise _at("backgrounds", f"{len(self.backgrounds)} backgrounds for {n} files")

    def _check_images(self) -> None:
        """Images need the calibration; image settings need images; the calibration's wavelength must agree."""
        from ..errors import InputError
        from ..io.images import IMAGE_SUFFIXES, is_image_file, poni_wavelength_A

        listed = [(f"files[{j}]", f) for j, f in enumerate(self.files)]
        if self.background is not None:
            listed.append(("background", self.background))
        listed += [(f"backgrounds[{j}]", f) for j, f in enumerate(self.backgrounds or [])]
        images = [(where, f) for where, f in listed if is_image_file(f)]
        if images and self.poni is None:
            where, f = images[0]
            raise _at("poni", f"{where} ({f.name}) is a 2D image: give the run its pyFAI calibration, "
                      "poni = \"<file>.poni\"")
        if (self.transfer_original is None) != (self.transfer_response is None):
            given, missing = (("transfer_original", "transfer_response") if self.transfer_response is None
                              else ("transfer_response", "transfer_original"))
            raise _at(missing, f"{given} needs {missing} too: the transfer function is response / original")
        if not images:
            extra = [k for k in ("poni", "mask", "transfer_original") if getattr(self, k) is not None]
            extra += ["frame"] if "frame" in self.model_fields_set else []
            if extra:
                raise _at(extra[0], f"{extra[0]} applies to 2D images, and no file of this run is one (image "
                          f"suffixes: {' '.join(sorted(IMAGE_SUFFIXES))})")
            return
        try:
            lam = poni_wavelength_A(self.poni)
        except InputError as exc:
            raise _at("poni", f"{self.poni}: {exc.message}") from None
        if lam is None:
            raise _at("poni", f"the calibration {self.poni.name} has no Wavelength, so the images' q cannot be "
                      "computed")
        if abs(lam - self.wavelength_A) > 1e-3 * lam:
            raise _at("wavelength_A", f"{self.wavelength_A:g} Å, but the calibration {self.poni.name} says "
                      f"{lam:g} Å (they must agree to 0.1 %)")

    @property
    def background_files(self) -> list[Path | None]:
        """The empty-cell background of each file (the run's one, one per file, or None)."""
        return list(self.backgrounds) if self.backgrounds is not None else [self.background] * len(self.files)

    def geometry(self, j: int) -> dict:
        """The diamond-cell settings of file ``j`` as :class:`~hpglass.scattering.config.ScatterConfig` fields
        (only those the run gives)."""
        out: dict = {}
        for key in _GEOMETRY_LIMITS:
            value = getattr(self, key)
            if value is not None:
                out[key] = float(value[j] if isinstance(value, list) else value)
        if self.refine_thickness:
            out["refine_thickness"] = True
        return out


#: per-file geometry keys: (upper limit, unit, what it is) — the ScatterConfig bounds
_GEOMETRY_LIMITS = {"anvil_thickness_mm": (10.0, "mm", "anvil thickness"),
                    "sample_thickness_um": (1000.0, "µm", "sample thickness")}


def _per_file_values(value: float | list[float] | None, key: str, n: int, hi: float, unit: str, what: str) -> None:
    """One number for every file, or a list with one per file; each in (0, hi]."""
    if value is None:
        return
    if isinstance(value, list):
        if len(value) != n:
            raise _at(key, f"{len(value)} values for {n} files (give one number for all, or one per file)")
        items = [(f"{key}[{i}]", v) for i, v in enumerate(value)]
    else:
        items = [(key, value)]
    for where, v in items:
        if not 0 < v <= hi:
            raise _at(where, f"{what} {v:g} {unit} is outside 0 < value ≤ {hi:g} {unit}")


class TransportCurve(_Model):
    """One R(T) file at one pressure (several fields in one file → Hc2(T))."""

    file: StudyFile
    pressure_GPa: Float = Field(ge=-0.5, le=1000)
    channel: Int | None = Field(None, ge=1)
    fields_T: list[Float] | None = Field(None, description="the fields the file holds (checked); > 1 → Hc2")


class TransportRun(_Model):
    name: str
    direction: Literal["compression", "decompression"] = "compression"
    curves: list[TransportCurve] = Field(default_factory=list)
    resistivity_table: StudyFile | None = Field(None, description="room-temperature ρ(P) table (pressure_GPa, "
                                                                   "resistivity_ohm_cm[, direction])")
    provenance: Provenance

    @model_validator(mode="after")
    def _checks(self) -> TransportRun:
        if not self.curves and self.resistivity_table is None:
            raise _at("curves", "no data: give R(T) curves and/or a resistivity_table")
        return self


class SimulationFrames(_Model):
    pressure_GPa: Float = Field(ge=-0.5, le=1000)
    file: StudyFile


class SimulationElf(_Model):
    """An ELF grid of one frame of the run's trajectory at ``pressure_GPa`` (``hpglass elf``): a cube file
    (``.cube``, ``.cube.gz``) or a VASP ELFCAR (``ELFCAR``, ``ELFCAR.gz``)."""

    pressure_GPa: Float = Field(ge=-0.5, le=1000)
    file: StudyFile

    @field_validator("file")
    @classmethod
    def _grid_file(cls, v: Path) -> Path:
        name = v.name.lower().removesuffix(".gz")
        if not (name.endswith((".cube", ".cub")) or "elfcar" in name):
            raise ValueError(f"{v.name}: an ELF grid must be a cube file (.cube, .cube.gz) or a VASP ELFCAR")
        return v


class SimulationRun(_Model):
    name: str
    direction: Literal["compression", "decompression"] = "compression"
    frames: list[SimulationFrames]
    references: dict[str, StudyFile] = Field(default_factory=dict,
                                             description="crystal reference trajectories, label → file")
    elf: list[SimulationElf] = Field(default_factory=list,
                                     description="ELF grids of frames of the run, each at one of its pressures")
    select: str = Field("::", description="frames of each file, 'start:stop:step'")
    cutoffs_A: dict[str, Float] = Field(default_factory=dict, description="bond cutoffs, 'A-B' → Å")
    rings: Literal["primitive", "king", "guttman", "none"] = "primitive"
    max_ring: Int = Field(8, ge=3, le=16)
    provenance: Provenance

    @field_validator("frames", mode="before")
    @classmethod
    def _table(cls, v: Any) -> Any:
        if isinstance(v, dict):  # {"0" = "file", "5" = "file"}
            out = []
            for k, f in v.items():
                try:
                    p = float(k)
                except ValueError:
                    raise ValueError(f"key {k!r} of frames is not a pressure in GPa") from None
                out.append({"pressure_GPa": p, "file": f})
            return out
        return v

    @model_validator(mode="after")
    def _checks(self) -> SimulationRun:
        if not self.frames:
            raise _at("frames", "no trajectories: give frames = {\"<P in GPa>\" = \"file\"}")
        ps = [f.pressure_GPa for f in self.frames]
        if len(set(ps)) != len(ps):
            raise _at("frames", "a pressure appears twice")
        for k, v in self.cutoffs_A.items():
            if not re.fullmatch(r"[A-Z][a-z]?-[A-Z][a-z]?", k):
                raise _at("cutoffs_A", f"key {k!r} must be a pair like 'Sb-Se'")
            if not 0 < v < 10:
                raise _at("cutoffs_A", f"cutoff {v} Å for {k} must be in (0, 10)")
        eps = [e.pressure_GPa for e in self.elf]
        if len(set(eps)) != len(eps):
            raise _at("elf", "a pressure appears twice")
        for p in eps:
            if p not in ps:
                raise _at("elf", f"ELF at {p:g} GPa, but the run has no frames at that pressure "
                          f"(frames at {', '.join(f'{q:g}' for q in ps)} GPa)")
        return self


class Analysis(_Model):
    """Analysis settings (each piece's cache key holds the settings it uses)."""

    refine_density: Bool = True
    refine_bkg: Bool = True
    density_g_cm3: Float | None = Field(None, gt=0, description="fixed density when not refined (start value)")
    normalization: Literal["krogh-moe", "fit"] = "krogh-moe"
    q_min_A: Float | None = Field(None, ge=0)
    q_max_A: Float | None = Field(None, gt=0)
    r_max_A: Float = Field(10.0, gt=0)
    lorch: Bool = False
    iterations: Int = Field(5, ge=0, le=200)
    q1_segments: Int | None = Field(2, ge=1, le=3, description="None: chosen by BIC")
    r1_segments: Int | None = Field(2, ge=1, le=3)
    sigma_segments: Int | None = Field(3, ge=1, le=3)
    ci_level: Float = Field(0.95, gt=0, lt=1)
    glass_eos_form: Literal["bm2", "bm3", "vinet", "murnaghan"] = "bm3"
    crystallization_min_peaks: Int = Field(2, ge=1)
    tc_criterion: Literal["onset", "90", "50", "10", "zero"] = "50"
    hc2_criterion_pct: Float = Field(50.0, gt=0, lt=100)
    hc2_slope_model: Literal["linear", "quadratic"] = "quadratic"
    simulation_q_max_A: Float = Field(12.0, gt=0)
    workers: Int | None = Field(None, ge=1, description="worker processes (default: the CPUs available)")


class StudyInfo(_Model):
    name: str = "study"
    description: str | None = None
    allow_outside_paths: Bool = Field(False, description=(
        "let data paths point outside the study's folder (system files under /proc, /sys, /dev stay refused)"))


class Study(_Model):
    """A whole study file (see the module docstring)."""

    study: StudyInfo = Field(default_factory=StudyInfo)
    sample: Sample
    diffraction: list[DiffractionRun] = Field(default_factory=list)
    transport: list[TransportRun] = Field(default_factory=list)
    simulation: list[SimulationRun] = Field(default_factory=list)
    analysis: Analysis = Field(default_factory=Analysis)
    #: the study file (set by load_study; not part of the TOML)
    source: Path | None = Field(None, exclude=True)

    @field_validator("source", mode="before")
    @classmethod
    def _not_from_toml(cls, v: Any) -> Any:
        raise ValueError("unknown field: the study file's own path is not a key of it")  # load_study sets it

    @model_validator(mode="after")
    def _checks(self) -> Study:
        if not (self.diffraction or self.transport or self.simulation):
            raise ValueError("the study has no data: add a [[diffraction]], [[transport]] or [[simulation]] run")
        for kind in ("diffraction", "transport", "simulation"):
            names = [r.name for r in getattr(self, kind)]
            for i, n in enumerate(names):
                if n in names[:i]:
                    raise ValueError(f"@{kind}[{i}].name: run name {n!r} is used twice")
        return self

    @property
    def folder(self) -> Path:
        return Path(".") if self.source is None else self.source.parent


# -- loading and error translation -----------------------------------------------------------------------------------
def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _unit_hint(name: str, model_fields: list[str]) -> str | None:
    """'wavelength_nm' with a known 'wavelength_A' → a wrong-unit message."""
    if "_" not in name:
        return None
    stem = name.rsplit("_", 1)[0]
    for f in model_fields:
        unit = f.rsplit("_", 1)[1] if "_" in f else ""
        if unit in _UNIT_SUFFIXES and f.rsplit("_", 1)[0] == stem and f != name:
            return f"wrong unit: {name!r} is not accepted; this field is {f!r} (in {unit})"
    return None


def _model_for(loc: tuple) -> type[BaseModel] | None:
    """The model class that holds the field at ``loc`` (for unknown-field hints)."""
    model: Any = Study
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fld = getattr(model, "model_fields", {}).get(part)
        if fld is None:
            return None
        ann = fld.annotation
        found = None
        for cand in (ann, *getattr(ann, "__args__", ())):
            for inner in (cand, *getattr(cand, "__args__", ())):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    found = inner
        if found is None:
            return None
        model = found
    return model


#: a union member's tag in an error location (``anvil_thickness_mm.float``, ``….list[float]``): not a field
_UNION_TAG = re.compile(r"^(?:float|int|bool|str|none|(?:list|dict|tuple|set|literal|nullable)\[.*\]|"
                        r"function-[a-z-]+\[.*\]|constrained-[a-z]+)$")


def _field_loc(loc: tuple) -> tuple:
    """``loc`` without union tags."""
    return tuple(p for p in loc if not (isinstance(p, str) and _UNION_TAG.match(p)))


def _problem(err: dict) -> tuple:
    """What one problem is: the location up to the first union tag (the alternatives of a union are one problem)."""
    loc = tuple(err.get("loc", ()))
    for k, part in enumerate(loc):
        if isinstance(part, str) and _UNION_TAG.match(part):
            return loc[:k]
    return loc


def _toml(value: Any) -> str:
    """A value as it was written in TOML (for messages)."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "…"
        return f'the string "{shown}"'
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    return {list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def _type_message(err: dict) -> str | None:
    """A plain message for a value of the wrong TOML type (strict types: no coercion)."""
    kind, value = err.get("type"), err.get("input")
    if kind == "float_type":
        hint = " (write numbers without quotes)" if isinstance(value, str) else ""
        return f"expected a number, got {_toml(value)}{hint}"
    if kind == "int_type":
        hint = " (write numbers without quotes)" if isinstance(value, str) else ""
        return f"expected a whole number, got {_toml(value)}{hint}"
    if kind == "bool_type":
        return f"expected true or false, got {_toml(value)}"
    if kind == "finite_number":
        return f"expected a finite number, got {value!r}"
    return None


def _translate(exc: ValidationError, source: str) -> InputError:
    errors = sorted(exc.errors(), key=lambda e: e.get("type") != "extra_forbidden")  # a wrong unit explains a
    problems = list(dict.fromkeys(_problem(e) for e in errors))  # "missing" error of the right name: report it first
    # of a union's alternatives, the deepest location says most (``[1.0, true]`` → the item, not "not a number")
    err = max((e for e in errors if _problem(e) == problems[0]), key=lambda e: len(e.get("loc", ())))
    loc = _field_loc(tuple(err.get("loc", ())))
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    m = re.match(r"^@([^:]+): (.*)$", msg, re.DOTALL)
    if m:
        loc_s = _loc(loc)
        field = f"{loc_s}.{m.group(1)}" if loc_s else m.group(1)
        msg = m.group(2)
    else:
        field = _loc(loc) or None
        if err.get("type") == "extra_forbidden":
            model = _model_for(loc)
            hint = _unit_hint(str(loc[-1]), list(model.model_fields) if model else [])
            msg = hint or ("unknown field" + (f"; allowed: {', '.join(model.model_fields)}" if model else ""))
        elif err.get("type") == "missing":
            msg = "required field is missing"
        else:
            msg = _type_message(err) or msg
    more = len(problems) - 1
    if more:
        msg += f" (and {more} more problem{'s' if more > 1 else ''})"
    return InputError(msg, source=source, field=field)


def parse_study(data: dict, source: str | Path = "<study>", base: str | Path | None = None) -> Study:
    """Validate an already-parsed TOML dict; relative paths resolve against ``base`` (default: the working
    directory), the study's folder: every path must lie inside it unless ``[study] allow_outside_paths = true``."""
    info = data.get("study") if isinstance(data, dict) else None
    allow = isinstance(info, dict) and info.get("allow_outside_paths") is True
    try:
        study = Study.model_validate(data, context={"base": None if base is None else Path(base),
                                                    "allow_outside": allow})
    except ValidationError as exc:
        raise _translate(exc, str(source)) from None
    return study.model_copy(update={"source": Path(source)})


def load_study(path: str | Path) -> Study:
    """Read and validate a study TOML file (raises InputError naming the file, line or field path)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("study file not found", source=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a study file", source=path) from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))  # a byte-order mark (Windows editors) is not content
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc}", source=path) from None
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        m = re.search(r"\(at line (\d+)", str(exc))
        if line is None and m:
            line = int(m.group(1))
        raise InputError(f"not valid TOML: {str(exc).split(' (at line')[0]}", source=path, line=line) from None
    return parse_study(data, source=path, base=path.resolve().parent)
