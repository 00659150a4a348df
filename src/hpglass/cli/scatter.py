"""`hpglass scatter`: one pattern (+ empty cell) → S(q), F(r), g(r), density, metrics."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from ..errors import InputError
from ..precision import fmt
from .common import dumps, echo_json, handle_errors, status

# the readers and the diffraction chain (scipy, xraylib, pyFAI) are imported where used: every `hpglass` start-up
# imports this module to register the command (issue 14: start-up time)
if TYPE_CHECKING:
    from ..scattering.pipeline import ScatterResult

IMAGE_SUFFIXES = {".tif", ".tiff", ".edf", ".cbf", ".h5", ".nxs", ".mccd", ".img", ".mar3450", ".npy"}


def load(path: Path, x_unit: str | None, wavelength: float | None, poni: Path | None, mask: Path | None,
         frame: str = "auto", transfer_original: Path | None = None, transfer_response: Path | None = None):
    """A pattern file, or a 2D image integrated with --poni.

    The image frame comes from the .poni header unless ``frame`` is pyfai or dioptas; the decision is one line in
    ``pattern.meta["notes"]`` (with the transfer correction's, when the two transfer images are given:
    :func:`hpglass.io.images.integrate_image`).
    """
    from ..io import integrate_image, read_pattern

    if (transfer_original is None) != (transfer_response is None):
        given, missing = (("--transfer-original", "--transfer-response") if transfer_response is None
                          else ("--transfer-response", "--transfer-original"))
        raise InputError(f"{given} needs {missing} too: the transfer function is response / original",
                         field=missing)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        if poni is None:
            raise InputError("this is a 2D image: give its pyFAI calibration with --poni", source=path)
        transfer = None if transfer_original is None else (transfer_original, transfer_response)
        return integrate_image(path, poni, mask=mask, unit="q_A", frame=frame, transfer=transfer)
    return read_pattern(path, x_unit=x_unit, wavelength=wavelength)


#: the files write_outputs puts into its folder
OUTPUT_NAMES = ("sq.dat", "fr.dat", "gr.dat", "result.json")


def write_outputs(result: ScatterResult, out: Path, extra: dict | None = None) -> dict[str, str]:
    """sq.dat, fr.dat, gr.dat, result.json into ``out`` (atomic writes); returns their paths.

    ``extra`` (e.g. notes on the input files) is added to result.json next to ``result.to_dict()``.
    """
    from ..io import atomic_write_text, write_table

    out.mkdir(parents=True, exist_ok=True)
    head = [f"hpglass scatter; composition {result.composition}; density {result.density_g_cm3:.4f} g/cm3; "
            f"number density {result.number_density:.6f} atoms/A^3", f"sources: {result.sources}",
            f"window {result.metrics.get('window', 'none')}: F(r) and g(r) carry this window and are Eggert-corrected "
            f"through it below r_cutoff {result.r_cutoff:.3f} A"]
    files = {
        "sq": write_table(out / "sq.dat", {"q_A-1": result.q, "S(q)": result.sq,
                                           "S(q)_uncorrected": result.sq_uncorrected}, head),
        "fr": write_table(out / "fr.dat", {"r_A": result.r, "F(r)_A-2": result.fr}, head + [
            "F(r) = 4*pi*rho*r*(g(r)-1) = G(r) of PDFgetX3"]),
        "gr": write_table(out / "gr.dat", {"r_A": result.r, "g(r)": result.gr, "RDF_atoms_per_A": result.rdf},
                          head),
    }
    paths = {f"{k}_file": str(v) for k, v in files.items()}
    summary = result.to_dict() | (extra or {}) | paths
    paths["json_file"] = str(atomic_write_text(out / "result.json", dumps(summary | {"json_file": str(
        out / "result.json")}) + "\n"))
    return paths


@handle_errors
def scatter(
    sample: Annotated[Path, typer.Argument(help="integrated pattern (.xy/.chi/.dat) or 2D image with --poni")],
    composition: Annotated[str, typer.Option(help="chemical formula, e.g. Sb2Se3")],
    wavelength: Annotated[Optional[float], typer.Option(help="X-ray wavelength, Å")] = None,
    bkg: Annotated[Optional[Path], typer.Option(help="empty-cell background pattern")] = None,
    bkg_scale: Annotated[Optional[float], typer.Option(
        help="background scale (start value with --refine-bkg; default 1)")] = None,
    refine_bkg: Annotated[bool, typer.Option("--refine-bkg", help="refine the background scale")] = False,
    x_unit: Annotated[Optional[str], typer.Option(help="q | q_nm | 2theta, when the file does not say")] = None,
    density: Annotated[Optional[float], typer.Option(help="density, g/cm³ (start value with --refine-density)")] = None,
    refine_density: Annotated[bool, typer.Option("--refine-density", help="refine the density")] = False,
    qmin: Annotated[Optional[float], typer.Option(help="lowest q used, Å⁻¹")] = None,
    qmax: Annotated[Optional[float], typer.Option(help="highest q used, Å⁻¹")] = None,
    r_cutoff: Annotated[Optional[float], typer.Option(help="r_min of the Eggert/Kaplow correction, Å")] = None,
    iterations: Annotated[int, typer.Option(help="Eggert/Kaplow iterations on the final S(q)")] = 5,
    normalization: Annotated[str, typer.Option(help="krogh-moe | fit")] = "krogh-moe",
    extrapolation: Annotated[str, typer.Option(help="low-q extrapolation: linear | step | none")] = "linear",
    s0: Annotated[Optional[float], typer.Option(help="S(q→0) (default: Laue limit)")] = None,
    lorch: Annotated[bool, typer.Option("--lorch", help="Lorch window in F(r)")] = False,
    no_kn: Annotated[bool, typer.Option("--no-kn", help="no Klein–Nishina factor on Compton")] = False,
    r_max: Annotated[float, typer.Option(help="largest r of F(r), g(r), Å")] = 10.0,
    q1_range: Annotated[Optional[str], typer.Option(
        help="q range of the principal peak, 'LOW,HIGH' in Å⁻¹ (default: where the composition can have it)")] = None,
    fsdp_range: Annotated[str, typer.Option(help="q range searched for an FSDP, 'LOW,HIGH' in Å⁻¹")] = "0.8,1.6",
    poni: Annotated[Optional[Path], typer.Option(help="pyFAI calibration for 2D images")] = None,
    mask: Annotated[Optional[Path], typer.Option(help="mask for 2D images")] = None,
    frame: Annotated[str, typer.Option(help="image frame of the .poni: auto (from its header: an orientation entry → "
                                            "pyfai, none → dioptas) | pyfai | dioptas (image flipped)")] = "auto",
    transfer_original: Annotated[Optional[Path], typer.Option(
        help="Dioptas transfer correction: image without the element (with --transfer-response)")] = None,
    transfer_response: Annotated[Optional[Path], typer.Option(
        help="Dioptas transfer correction: image with it; images are divided by response/original")] = None,
    anvil_thickness: Annotated[Optional[float], typer.Option(
        help="thickness of each diamond anvil along the beam, mm (anvil attenuation vs 2θ)")] = None,
    sample_thickness: Annotated[Optional[float], typer.Option(
        help="sample thickness along the beam, µm (self-absorption; the background's attenuation by the sample)")
    ] = None,
    refine_thickness: Annotated[bool, typer.Option(
        "--refine-thickness", help="refine the sample thickness (start: --sample-thickness)")] = False,
    upstream_fraction: Annotated[float, typer.Option(
        help="share of the empty-cell background scattered before the sample (upstream anvil)")] = 0.5,
    strict: Annotated[bool, typer.Option("--strict", help="treat quality warnings as errors (exit 2)")] = False,
    out: Annotated[Path, typer.Option(help="output folder")] = Path("scatter-out"),
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Reduce a diffraction pattern of a glass or liquid to S(q), F(r), g(r) and its density."""
    from ..scattering.config import make_config
    from ..scattering.pipeline import process

    if bkg is None and refine_bkg:
        raise InputError("--refine-bkg needs a background pattern (--bkg)", field="refine_bkg")
    if bkg is None and bkg_scale is not None:
        raise InputError("--bkg-scale needs a background pattern (--bkg)", field="bkg_scale")
    _check_outputs_spare_inputs(out, sample, bkg, poni, mask)
    pattern = load(sample, x_unit, wavelength, poni, mask, frame, transfer_original, transfer_response)
    lam = wavelength if wavelength is not None else pattern.wavelength
    background = None if bkg is None else load(bkg, x_unit, lam, poni, mask, frame, transfer_original,
                                                transfer_response)
    cfg = make_config(
        composition=composition, wavelength=lam, q_min=qmin, q_max=qmax, density=density,
        refine_density=refine_density, bkg_scale=1.0 if bkg_scale is None else bkg_scale, refine_bkg=refine_bkg,
        normalization=normalization, extrapolation=extrapolation, s0=s0, r_cutoff=r_cutoff, iterations=iterations,
        lorch=lorch, kn_correction=not no_kn and lam is not None, r_max=r_max,
        q1_range=None if q1_range is None else _pair(q1_range, "q1_range"), fsdp_range=_pair(fsdp_range, "fsdp_range"),
        anvil_thickness_mm=anvil_thickness, sample_thickness_um=sample_thickness, refine_thickness=refine_thickness,
        upstream_fraction=upstream_fraction,
    )
    with status("reducing pattern …", json_out):
        try:
            result = process(pattern, background, cfg)
        except InputError as exc:
            if exc.source is not None:
                raise
            # a problem found in the data by the chain (e.g. the normalization): say which file it is about
            raise InputError(exc.message, source=sample, line=exc.line, field=exc.field) from None
    notes = {"dropped_rows": {"sample": int(pattern.meta.get("dropped_rows", 0)),
                              "background": None if background is None else int(
                                  background.meta.get("dropped_rows", 0))}}
    input_notes = [n for p in (pattern, background) if p is not None for n in (p.meta.get("notes") or [])]
    if strict and result.warnings:
        raise InputError(f"{len(result.warnings)} quality warning(s) with --strict: " + "; ".join(result.warnings),
                         source=sample)
    paths = write_outputs(result, out, notes | {"input_notes": input_notes})
    summary = result.to_dict() | notes | {"input_notes": input_notes} | paths
    # with --json the notes are in the JSON only; warnings (failed checks) always reach the terminal
    print_quality([] if json_out else input_notes + result.notes, result.warnings)
    if json_out:
        echo_json(summary)
        return
    _print_summary(summary)


def print_quality(notes: list[str], warnings: list[str]) -> None:
    """Notes (what the defaults chose, rows dropped) and warnings (failed quality checks), one line each, on
    stderr so that piped output stays clean."""
    from rich.console import Console
    from rich.markup import escape

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    for n in notes:
        err.print(f"note: {n}", markup=False)
    for w in warnings:
        err.print(f"[bold yellow]warning:[/] {escape(w)}")


def _check_outputs_spare_inputs(out: Path, *inputs: Path | None) -> None:
    """Refuse an --out folder where an output file would replace one of the input files."""
    targets = {(out / name).resolve(): name for name in OUTPUT_NAMES}
    for path in inputs:
        if path is not None and path.resolve() in targets:
            raise InputError(f"--out {out} would overwrite this input with its {targets[path.resolve()]}; "
                             "choose another --out folder", source=path, field="out")



def _pair(text: str, name: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"expected 'LOW,HIGH' (two numbers), got {text!r}", field=f"--{name.replace('_', '-')}") from None
    if not 0 <= lo < hi:
        raise InputError(f"need 0 ≤ LOW < HIGH, got {text!r}", field=f"--{name.replace('_', '-')}")
    return lo, hi


def _fmt(v, err=None, unit=""):
    return fmt(v, err, unit)


def _print_summary(s: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title="hpglass scatter", show_header=False)
    t.add_row("density", _fmt(s["density_g_cm3"], s["density_err_g_cm3"], "g/cm³"))
    no_bkg = (s.get("inputs") or {}).get("background") is None
    t.add_row("background scale", "no background" if no_bkg else _fmt(s["bkg_scale"], s["bkg_scale_err"]))
    t.add_row("principal peak q1", _fmt(s.get("q1_A-1"), s.get("q1_err_A-1"), "Å⁻¹"))
    fsdp = s.get("fsdp")
    t.add_row("FSDP", "none" if fsdp is None else _fmt(fsdp["position_A-1"], fsdp["position_err_A-1"], "Å⁻¹"))
    t.add_row("r1", _fmt(s.get("r1_A"), s.get("r1_err_A"), "Å"))
    t.add_row("coordination number", _fmt(s.get("cn")) + (f"  ({s['cn_method']})" if s.get("cn_method") else ""))
    t.add_row("r_cutoff (Eggert)", _fmt(s["r_cutoff_A"], unit="Å"))
    dropped = {k: v for k, v in (s.get("dropped_rows") or {}).items() if v}
    if dropped:
        t.add_row("NaN/inf rows dropped", ", ".join(f"{k}: {v}" for k, v in dropped.items()))
    for k in ("sq_file", "fr_file", "gr_file", "json_file"):
        t.add_row(k, s[k])
    Console().print(t)
