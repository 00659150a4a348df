"""Azimuthal integration of 2D detector images into a 1D :class:`~hpglass.scattering.pattern.Pattern`.

Built on pyFAI (geometry from a ``.poni`` calibration file, ``integrate1d``) and fabio (images: tif, edf, cbf,
mar3450, …). Masks: any fabio-readable image (a Dioptas ``.mask`` is a deflate-compressed 32-bit tif) or a numpy
``.npy`` array, same shape as the image; **non-zero = masked** (the pyFAI and Dioptas convention). pyFAI and fabio
are optional (``pip install 'hpglass[image]'``).

Image frame: pyFAI puts pixel (0, 0) of the array as fabio reads it at the origin of the calibration. Dioptas
(at least every version that writes no ``orientation`` entry into the .poni) flips every image upside down
on loading (``data[::-1]``, the Fit2D convention) and calibrates that flipped image; its MaskModel saves the mask of
the flipped image as it is. A Dioptas calibration therefore needs ``frame="dioptas"``: the image is flipped before
integration and the mask is taken as saved. The wrong frame gives a pattern whose peaks sit in the wrong places
(CeO2_Pilatus1M: 7.46° becomes 6.67°); a .poni alone cannot tell which program wrote it, so the caller must say.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

import numpy as np

from ..errors import InputError, MissingDependencyError
from ..scattering.pattern import Pattern

__all__ = ["integrate_image"]

#: output unit → pyFAI unit name
_PYFAI_UNITS = {"q_A": "q_A^-1", "q": "q_A^-1", "2theta": "2th_deg"}

ImageLike = str | os.PathLike | np.ndarray


def integrate_image(
    image: ImageLike,
    poni: str | os.PathLike,
    mask: ImageLike | None = None,
    npt: int = 3000,
    unit: str = "q_A",
    polarization: float | None = 0.99,
    method: str | tuple[str, str, str] = ("bbox", "csr", "cython"),
    frame: str = "pyfai",
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
    frame : ``"pyfai"`` (the image as fabio reads it) or ``"dioptas"`` (flip the image upside down first, for a
        .poni made by Dioptas without an orientation entry); the mask is always in the calibration's frame.

    Returns a Pattern with the calibration's wavelength in Å; solid-angle correction is applied (pyFAI default).
    """
    pyfai, fabio = _image_libraries()
    pyfai_unit = _pyfai_unit(unit)
    if int(npt) < 2:
        raise InputError(f"npt must be at least 2, got {npt}", field="npt")
    if polarization is not None and not -1.0 <= polarization <= 1.0:
        raise InputError(f"polarization factor must lie in [-1, 1], got {polarization}", field="polarization")
    _check_frame(frame, poni)
    data, image_name = _load_array(image, fabio, "image")
    if frame == "dioptas":
        data = np.ascontiguousarray(data[::-1])
    integrator = _load_poni(poni, pyfai)
    _check_detector_shape(integrator, data, image_name, poni)
    mask_data, mask_name = (None, None) if mask is None else _load_array(mask, fabio, "mask")
    if mask_data is not None and mask_data.shape != data.shape:
        raise InputError(f"mask {mask_name} has shape {mask_data.shape} but image {image_name} has {data.shape}",
                         source=mask_name, field="mask")
    wavelength = _wavelength_A(integrator, poni, unit)
    result = integrator.integrate1d(data, int(npt), mask=None if mask_data is None else mask_data != 0,
                                    unit=pyfai_unit, polarization_factor=polarization, method=method)
    meta = {"format": "pyfai-integrate1d", "image": image_name, "poni": str(poni), "mask": mask_name,
            "npt": int(npt), "polarization": polarization, "method": str(method), "frame": frame,
            "pyFAI": pyfai.version, "masked_pixels": 0 if mask_data is None else int(np.count_nonzero(mask_data))}
    return Pattern(x=np.asarray(result.radial), y=np.asarray(result.intensity), unit=_pattern_unit(unit),
                   wavelength=wavelength, source=image_name, meta=meta)


def _image_libraries():
    try:
        import fabio
        import pyFAI
    except ImportError:
        raise MissingDependencyError("pyFAI", "image", "reading 2D images") from None
    return pyFAI, fabio


def _check_frame(frame: str, poni: str | os.PathLike) -> None:
    if frame not in ("pyfai", "dioptas"):
        raise InputError(f"unknown image frame {frame!r}; use pyfai or dioptas", field="frame")
    if frame == "dioptas" and Path(poni).is_file() and "orientation" in Path(poni).read_text(errors="replace"):
        raise InputError("this calibration states its detector orientation, so pyFAI places the image itself; "
                         "use frame='pyfai'", source=poni, field="frame")


def _pyfai_unit(unit: str) -> str:
    try:
        return _PYFAI_UNITS[unit]
    except KeyError:
        raise InputError(f"unknown output unit {unit!r}; use q_A (Å⁻¹) or 2theta (degrees)", field="unit") from None


def _pattern_unit(unit: str) -> str:
    return "2theta" if unit == "2theta" else "q_A"


@contextlib.contextmanager
def _quiet_fabio():
    """fabio logs a warning when it falls back from its own TIFF reader to PIL (every Dioptas mask): hide it."""
    logger = logging.getLogger("fabio")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
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
