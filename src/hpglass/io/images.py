"""Azimuthal integration of 2D detector images into a 1D :class:`~hpglass.scattering.pattern.Pattern`.

Built on pyFAI (geometry from a ``.poni`` calibration file, ``integrate1d``) and fabio (images: tif, edf, cbf,
mar3450, …). Masks: any fabio-readable image (a Dioptas ``.mask`` is a deflate-compressed 32-bit tif) or a numpy
``.npy`` array, same shape as the image; **non-zero = masked** (the pyFAI and Dioptas convention). pyFAI and fabio
are optional (``pip install 'hpglass[image]'``).

Image frame
-----------
pyFAI puts pixel (0, 0) of the array as fabio reads it at the origin of the calibration (its native orientation 3).
Dioptas flips every image upside down on loading (``np.array(Image.open(f))[::-1]``, the Fit2D convention;
Dioptas ``model/util/ImgCorrection.load_image`` and its image loaders) and calibrates that flipped image; its
MaskModel saves the mask of the flipped image as it is. The author of Dioptas confirms it: "To be able to use a poni
file from pyfai in dioptas or vice versa the image just has to be flipped vertically" (C. Prescher in
silx-kit/pyFAI#1994, 2023). Both programs write the .poni with pyFAI's own writer (Dioptas
``CalibrationModel.save``), so the same header lines appear in either. What tells the frames apart is the detector
**orientation** entry that pyFAI added with ``poni_version`` 2.1 (silx-kit/pyFAI#2001, released in pyFAI 2024):

* an ``orientation`` in ``Detector_config`` → ``frame="pyfai"``: pyFAI places the image itself. Files from
  pyFAI ≥ 2024 carry it, and so do files from current Dioptas, which flips the orientation flag when saving and again
  when loading (``poni_flipud`` in Dioptas ``model/CalibrationModel.py``, ``save`` and ``load``). Checked here with
  pyFAI 2026.9: the CeO2_Pilatus1M calibration rewritten with ``orientation: 2`` integrates the unflipped image to
  Dioptas's own CeO2_Pilatus1M.xy (the same as the flipped image with the original file).
* no ``orientation`` (poni_version 1 or 2) → ``frame="dioptas"``: the image is flipped before integration and the
  mask is used as saved. This is how Dioptas itself reads such a file (it flips the orientation only when the entry
  exists) and how every Dioptas before the orientation entry wrote it; the two Dioptas test calibrations
  (CeO2_Pilatus1M.poni, 2015, version 1; TransferCorrection/transfer.poni, 2018, version 2) are of this kind. No
  header line proves who wrote such a file: a pyFAI-calib file from before 2024 looks the same (a pyFAI-calib2 file
  usually records the image shape in ``max_shape``, where Dioptas wrote ``null``: Dioptas/Dioptas#141 shows such a
  pair, but that is a hint, not a rule). ``frame="auto"`` therefore picks Dioptas — the program of the diamond-cell
  community this package serves — and says so in ``Pattern.meta["notes"]`` together with how far apart the two
  frames put the pixels of this detector in 2θ, so that a pyFAI-calib file can be given ``frame="pyfai"``.

A wrong frame moves, splits and broadens the peaks, with no error (CeO2_Pilatus1M: the strongest ring, 7.46°, comes
out as maxima at 6.67° and 8.25°; the pixels of the two frames lie up to 0.88° apart in 2θ).

Transfer-function correction (Dioptas)
--------------------------------------
Dioptas's ``TransferFunctionCorrection`` (``model/util/ImgCorrection.py``, ``calculate_transfer_data``) divides two
images of the same scene taken without and with the element whose response is to be removed (a collimator, a
detector's oblique-incidence loss): **T = response / original**, pixel by pixel, no smoothing; every image is then
divided by it, ``image / T`` (``ImgModel`` / ``ImageCalculator``: ``img_data / img_corrections.get_data()``, the
corrections of several kinds multiplied together). Hence correcting the *response* image itself gives back the
*original* image exactly. (Early Dioptas versions had ``original / response``; the current code and its unit test
``TransferFunctionCorrectionTest.test_general_behavior`` use ``response / original``.) Both images are loaded in the
same frame as the image they correct, so T needs no frame of its own. Here, pixels where either image is ≤ 0 or not
finite (detector gaps, dead pixels) have no meaningful T: they are masked rather than divided (Dioptas divides
them), and counted in ``meta["transfer"]``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path

import numpy as np

from ..errors import InputError, MissingDependencyError
from ..scattering.pattern import Pattern

__all__ = ["FRAMES", "IMAGE_SUFFIXES", "integrate_image", "is_image_file", "poni_frame", "poni_wavelength_A",
           "read_poni_header", "transfer_function"]

#: output unit → pyFAI unit name
_PYFAI_UNITS = {"q_A": "q_A^-1", "q": "q_A^-1", "2theta": "2th_deg"}

#: file name endings read as 2D detector images (anything else is a 1D pattern)
IMAGE_SUFFIXES = frozenset({".tif", ".tiff", ".edf", ".cbf", ".h5", ".nxs", ".mccd", ".img", ".mar3450", ".npy"})

#: accepted values of ``frame``
FRAMES = ("auto", "pyfai", "dioptas")

ImageLike = str | os.PathLike | np.ndarray


def is_image_file(path: str | os.PathLike) -> bool:
    """True when the file name ends like a 2D detector image (:data:`IMAGE_SUFFIXES`)."""
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def integrate_image(
    image: ImageLike,
    poni: str | os.PathLike,
    mask: ImageLike | None = None,
    npt: int = 3000,
    unit: str = "q_A",
    polarization: float | None = 0.99,
    method: str | tuple[str, str, str] = ("bbox", "csr", "cython"),
    frame: str = "auto",
    transfer: tuple[ImageLike, ImageLike] | None = None,
) -> Pattern:
    """Integrate a 2D image over azimuth with the geometry of a pyFAI ``.poni`` file.

    Parameters
    ----------
    image : image file (anything fabio reads; the first frame of a multi-frame file) or a 2D array.
    poni : pyFAI calibration file (distance, PONI, rotations in m / rad; wavelength in m).
    mask : mask file (fabio image or ``.npy``) or array of the image's shape; non-zero pixels are excluded.
    npt : number of output points.
    unit : ``"q_A"`` (Å⁻¹, pyFAI ``q_A^-1``) or ``"2theta"`` (degrees, pyFAI ``2th_deg``).
    polarization : pyFAI polarization factor (−1…1, 0.99 for a horizontally polarized synchrotron beam);
        None applies no polarization correction.
    method : pyFAI integration method (splitting, algorithm, implementation).
    frame : ``"auto"`` (from the .poni header: an orientation entry → pyfai, none → dioptas; module docstring),
        ``"pyfai"`` (the image as fabio reads it) or ``"dioptas"`` (flip the image upside down first); the mask is
        always in the calibration's frame.
    transfer : ``(original, response)`` images (files or arrays, the raw frame of ``image``) of Dioptas's
        transfer-function correction: the image is divided by T = response / original before integration
        (:func:`transfer_function`); pixels without a valid T are masked.

    Returns a Pattern with the calibration's wavelength in Å; solid-angle correction is applied (pyFAI default).
    ``meta["frame"]`` is the frame used, ``meta["frame_rule"]`` why (``given``, ``orientation``, ``no-orientation``)
    and ``meta["notes"]`` a list of one-line strings for the user (the frame decision, the transfer correction).
    """
    pyfai, fabio = _image_libraries()
    pyfai_unit = _pyfai_unit(unit)
    if int(npt) < 2:
        raise InputError(f"npt must be at least 2, got {npt}", field="npt")
    if polarization is not None and not -1.0 <= polarization <= 1.0:
        raise InputError(f"polarization factor must lie in [-1, 1], got {polarization}", field="polarization")
    used, rule, note = _resolve_frame(frame, poni)
    data, image_name = _load_array(image, fabio, "image")
    integrator = _load_poni(poni, pyfai)
    notes = []
    invalid = np.zeros(data.shape, dtype=bool)
    transfer_meta = None
    if transfer is not None:
        data, invalid, transfer_meta = _apply_transfer(data, image_name, transfer, fabio)
        notes.append(_transfer_note(transfer_meta))
    if used == "dioptas":
        data, invalid = np.ascontiguousarray(data[::-1]), invalid[::-1]
    _check_detector_shape(integrator, data, image_name, poni)
    if rule == "no-orientation":
        note += f"; the two frames differ by up to {_frame_gap_deg(integrator, data.shape):.2f}° in 2θ here"
    notes.insert(0, note)
    mask_data, mask_name = (None, None) if mask is None else _load_array(mask, fabio, "mask")
    if mask_data is not None and mask_data.shape != data.shape:
        raise InputError(f"mask {mask_name} has shape {mask_data.shape} but image {image_name} has {data.shape}",
                         source=mask_name, field="mask")
    excluded = invalid if mask_data is None else (mask_data != 0) | invalid
    wavelength = _wavelength_A(integrator, poni, unit)
    result = integrator.integrate1d(data, int(npt), mask=excluded if excluded.any() else None, unit=pyfai_unit,
                                    polarization_factor=polarization, method=method)
    meta = {"format": "pyfai-integrate1d", "image": image_name, "poni": str(poni), "mask": mask_name,
            "npt": int(npt), "polarization": polarization, "method": str(method), "frame": used,
            "frame_rule": rule, "frame_note": note, "transfer": transfer_meta, "notes": notes,
            "pyFAI": pyfai.version, "masked_pixels": int(np.count_nonzero(excluded))}
    return Pattern(x=np.asarray(result.radial), y=np.asarray(result.intensity), unit=_pattern_unit(unit),
                   wavelength=wavelength, source=image_name, meta=meta)


# -- the .poni header and the image frame ------------------------------------------------------------------------------
def read_poni_header(poni: str | os.PathLike) -> dict[str, str]:
    """The ``key: value`` lines of a .poni file, keys lower-cased; ``#`` lines are comments and, as in pyFAI, the
    last entry of a key wins (some files hold several calibrations one after the other)."""
    path = Path(poni)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise InputError("calibration (.poni) file not found", source=path) from None
    except OSError as err:
        raise InputError(f"cannot read the calibration: {err}", source=path) from None
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        key, value = line.split(":", 1)
        out[key.strip().lower()] = value.strip()
    return out


def _detector_config(header: dict[str, str], poni) -> dict:
    raw = header.get("detector_config")
    if raw is None:
        return {}
    try:
        cfg = json.loads(raw)
    except ValueError:
        raise InputError(f"Detector_config is not valid JSON: {raw[:60]!r}", source=poni,
                         field="Detector_config") from None
    return cfg if isinstance(cfg, dict) else {}


def poni_frame(poni: str | os.PathLike) -> tuple[str, str, str]:
    """The image frame a .poni calibration belongs to, from its header: ``(frame, rule, reason)``.

    rule ``"orientation"``: the file states the detector orientation (pyFAI poni_version ≥ 2.1; written by pyFAI
    ≥ 2024 and by current Dioptas in pyFAI's convention) → ``"pyfai"``, pyFAI places the image itself.
    rule ``"no-orientation"``: no orientation entry → ``"dioptas"``, the frame of every Dioptas calibration without
    that entry and the one Dioptas itself reads it in (see the module docstring for the evidence and the limit: a
    pre-2024 pyFAI-calib file looks the same). ``reason`` is one line for the user.
    """
    header = read_poni_header(poni)
    name = Path(poni).name
    version = header.get("poni_version", "1")
    cfg = _detector_config(header, poni)
    if "orientation" in cfg:
        return ("pyfai", "orientation",
                f"image frame pyfai (auto): {name} states the detector orientation ({cfg['orientation']}, "
                f"poni_version {version}), so pyFAI places the image itself")
    shape = cfg.get("max_shape", "absent") if cfg else "absent"
    hint = "" if shape in (None, "absent") else f"; its max_shape {shape} is what pyFAI-calib2 writes"
    return ("dioptas", "no-orientation",
            f"image frame dioptas (auto): {name} has no detector orientation entry (poni_version {version}), like "
            f"every Dioptas calibration of the upside-down image Dioptas works on, so the image is flipped before "
            f"integration; if pyFAI-calib (before 2024) made this file, give frame pyfai{hint}")


def poni_wavelength_A(poni: str | os.PathLike) -> float | None:
    """The wavelength of a .poni calibration in Å (the file gives metres), from its text alone; None when absent."""
    raw = read_poni_header(poni).get("wavelength")
    if raw is None or raw.lower() == "none":
        return None
    try:
        lam = float(raw)
    except ValueError:
        raise InputError(f"Wavelength {raw!r} is not a number", source=poni, field="Wavelength") from None
    if not lam > 0:
        raise InputError(f"Wavelength {raw} must be positive (metres)", source=poni, field="Wavelength")
    return float(f"{lam * 1e10:.12g}")


def _resolve_frame(frame: str, poni: str | os.PathLike) -> tuple[str, str, str]:
    """(frame used, rule, one-line note); refuses ``dioptas`` for a calibration that states its orientation."""
    if frame not in FRAMES:
        raise InputError(f"unknown image frame {frame!r}; use auto, pyfai or dioptas", field="frame")
    if not Path(poni).is_file():
        raise InputError("calibration (.poni) file not found", source=poni)
    auto, rule, reason = poni_frame(poni)
    if frame == "auto":
        return auto, rule, reason
    if frame == "dioptas" and rule == "orientation":
        raise InputError("this calibration states its detector orientation, so pyFAI places the image itself; "
                         "use frame='pyfai' (or auto)", source=poni, field="frame")
    note = f"image frame {frame} (given)"
    if frame != auto:
        note += f"; auto would pick {auto}"
    return frame, "given", note


def _frame_gap_deg(integrator, shape: tuple[int, int]) -> float:
    """Largest 2θ difference (degrees) the two frames give one pixel: 2θ at (y, x) against 2θ at (H − y, x), on a
    grid of about 64 × 64 pixel centres (pixel coordinates as pyFAI's ``tth(d1, d2)`` takes them)."""
    h, w = shape
    y = (np.arange(0, h, max(1, h // 64)) + 0.5)[:, None]
    x = (np.arange(0, w, max(1, w // 64)) + 0.5)[None, :]
    y, x = np.broadcast_arrays(y, x)
    try:
        a = integrator.tth(y, x)
        b = integrator.tth(h - y, x)
    except Exception:  # noqa: BLE001 — an estimate for a note; never fail the integration for it
        return float("nan")
    return float(np.degrees(np.nanmax(np.abs(a - b))))


# -- the transfer-function correction ----------------------------------------------------------------------------------
def transfer_function(original: np.ndarray, response: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dioptas's transfer function T = response / original per pixel, and the pixels where it is undefined.

    Returns ``(T, invalid)``: ``invalid`` marks pixels where either image is ≤ 0 or not finite; T is 1 there (the
    caller masks them). An image corrected with it is ``image / T``, so ``response / T == original`` wherever T is
    valid (module docstring; Dioptas ``model/util/ImgCorrection.py``, ``TransferFunctionCorrection``).
    """
    o = np.asarray(original, dtype=float)
    r = np.asarray(response, dtype=float)
    if o.shape != r.shape:
        raise InputError(f"transfer images differ in shape: original {o.shape}, response {r.shape}", field="transfer")
    invalid = ~(np.isfinite(o) & np.isfinite(r) & (o > 0) & (r > 0))
    t = np.ones_like(o)
    ok = ~invalid
    t[ok] = r[ok] / o[ok]
    return t, invalid


def _apply_transfer(data: np.ndarray, image_name: str, transfer, fabio) -> tuple[np.ndarray, np.ndarray, dict]:
    """image / T with T from the (original, response) pair; returns (corrected, invalid pixels, meta)."""
    if isinstance(transfer, (str, os.PathLike, np.ndarray)) or len(transfer) != 2:
        raise InputError("transfer needs two images: (original, response)", field="transfer")
    (orig, orig_name), (resp, resp_name) = (_load_array(transfer[0], fabio, "transfer original"),
                                            _load_array(transfer[1], fabio, "transfer response"))
    for arr, name in ((orig, orig_name), (resp, resp_name)):
        if arr.shape != data.shape:
            raise InputError(f"transfer image {name} has shape {arr.shape} but image {image_name} has {data.shape}",
                             source=name, field="transfer")
    t, invalid = transfer_function(orig, resp)
    if invalid.all():
        raise InputError(f"transfer images {orig_name} and {resp_name} share no pixel where both are > 0",
                         source=orig_name, field="transfer")
    valid_t = t[~invalid]
    p05, p50, p95 = (float(v) for v in np.percentile(valid_t, [5, 50, 95]))
    meta = {"original": orig_name, "response": resp_name, "definition": "image / T, T = response / original (Dioptas)",
            "T_median": p50, "T_p05": p05, "T_p95": p95, "masked_pixels": int(np.count_nonzero(invalid))}
    return np.asarray(data, dtype=float) / t, invalid, meta


def _transfer_note(m: dict) -> str:
    return (f"transfer correction: image / T, T = response / original (Dioptas); T median {m['T_median']:.3g}, "
            f"5–95 % {m['T_p05']:.3g}–{m['T_p95']:.3g}; {m['masked_pixels']} pixels masked (original or response "
            f"≤ 0)")


# -- readers -----------------------------------------------------------------------------------------------------------
def _image_libraries():
    try:
        import fabio
        import pyFAI
    except ImportError:
        raise MissingDependencyError("pyFAI", "image", "reading 2D images") from None
    return pyFAI, fabio


def _pyfai_unit(unit: str) -> str:
    try:
        return _PYFAI_UNITS[unit]
    except KeyError:
        raise InputError(f"unknown output unit {unit!r}; use q_A (Å⁻¹) or 2theta (degrees)", field="unit") from None


def _pattern_unit(unit: str) -> str:
    return "2theta" if unit == "2theta" else "q_A"


@contextlib.contextmanager
def _quiet_fabio():
    """fabio logs a warning when it falls back from its own TIFF reader to PIL (every Dioptas mask), and errors
    ("Error in opening … with PIL", "no tiff reader managed to read the file") on a damaged file before it gives
    up: hide them all, and Python warnings too — the failure becomes the one-line InputError of the caller."""
    import warnings

    logger = logging.getLogger("fabio")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 10)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _load_array(obj: ImageLike, fabio, what: str) -> tuple[np.ndarray, str]:
    """A 2D array from an array, a ``.npy`` file or any fabio image; returns (array, name for messages)."""
    if isinstance(obj, np.ndarray):
        data, name = obj, f"<{what} array>"
    else:
        path = Path(obj)
        name = str(path)
        if not path.is_file():
            raise InputError(f"{what} file not found", source=path)
        data = _read_npy(path) if path.suffix.lower() == ".npy" else _read_fabio(path, fabio, what)
    data = np.asarray(data)
    if data.ndim != 2:
        raise InputError(f"{what} must be a 2D array, got shape {data.shape}", source=name)
    return data, name


def _read_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read as a numpy .npy array: {err}", source=path) from None


def _read_fabio(path: Path, fabio, what: str) -> np.ndarray:
    try:
        with _quiet_fabio():
            img = fabio.open(str(path))
            data = img.data
    except Exception as err:  # fabio raises many types (IOError, ValueError, KeyError …) for unreadable files
        raise InputError(f"cannot read {what} with fabio: {err}", source=path) from None
    if getattr(img, "nframes", 1) > 1:
        raise InputError(f"{what} file holds {img.nframes} frames; give a single-frame image", source=path)
    if data is None or np.ndim(data) != 2 or 0 in np.shape(data):
        raise InputError(f"cannot read {what}: fabio found no image data in it (a truncated or damaged file, or not "
                         "an image)", source=path)
    return data


def _load_poni(poni: str | os.PathLike, pyfai):
    path = Path(poni)
    if not path.is_file():
        raise InputError("calibration (.poni) file not found", source=path)
    try:
        return pyfai.load(str(path))
    except Exception as err:  # pyFAI raises assorted errors on a malformed calibration
        raise InputError(f"cannot read the pyFAI calibration: {err}", source=path) from None


def _check_detector_shape(integrator, data: np.ndarray, image_name: str, poni) -> None:
    shape = getattr(integrator.detector, "max_shape", None)
    if shape is not None and tuple(shape) != data.shape:
        raise InputError(f"image {image_name} has shape {data.shape} but the detector in {poni} is {tuple(shape)}",
                         source=image_name)


def _wavelength_A(integrator, poni, unit: str) -> float | None:
    """The calibration's wavelength in Å (pyFAI stores metres); q output needs one."""
    lam = integrator.wavelength
    if not lam:
        if unit != "2theta":
            raise InputError("the calibration has no wavelength, so q cannot be computed", source=poni,
                             field="Wavelength")
        return None
    return float(f"{float(lam) * 1e10:.12g}")  # 4.066e-11 m → 0.4066 Å exactly as written
