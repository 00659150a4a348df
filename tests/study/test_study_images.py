"""Study files with 2D detector images: a [[diffraction]] run lists images with their .poni (mask, frame, transfer
images), per-file backgrounds and the diamond-cell geometry per file; the schema names the field of every mistake,
the planned pattern tasks carry the settings into ScatterConfig and into each piece's cache key."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from hpglass.errors import InputError
from hpglass.study import parse_study
from hpglass.study.runner import plan_pieces


@pytest.fixture
def ceo2(shared_data, tmp_path) -> dict[str, Path]:
    """Two image files (the Dioptas CeO2 image and a copy: a run may not list one file twice), its calibration, a
    pattern file and the TransferCorrection images, all in ``tmp_path``."""
    d = shared_data / "xrd" / "dioptas"
    out = {"tif": tmp_path / "p1.tif", "tif2": tmp_path / "p2.tif", "poni": tmp_path / "CeO2_Pilatus1M.poni",
           "xy": tmp_path / "p1.xy", "orig": tmp_path / "original.tif", "resp": tmp_path / "response.tif"}
    for key, src in (("tif", d / "CeO2_Pilatus1M.tif"), ("tif2", d / "CeO2_Pilatus1M.tif"),
                     ("poni", d / "CeO2_Pilatus1M.poni"), ("xy", d / "CeO2_Pilatus1M.xy"),
                     ("orig", d / "TransferCorrection" / "original.tif"),
                     ("resp", d / "TransferCorrection" / "response.tif")):
        shutil.copyfile(src, out[key])
    np.save(tmp_path / "mask.npy", np.zeros((1043, 981), dtype=np.int8))
    out["mask"] = tmp_path / "mask.npy"
    return out


def _study(paths: dict, **run) -> dict:
    base = {"name": "images", "files": [str(paths["tif"]), str(paths["tif2"])], "poni": str(paths["poni"]),
            "wavelength_A": 0.4066, "pressures_GPa": [1.0, 5.0], "provenance": {"kind": "measured"}}
    base.update(run)
    return {"sample": {"composition": "CeO2"}, "diffraction": [{k: v for k, v in base.items() if v is not None}],
            "analysis": {"refine_density": False, "density_g_cm3": 7.2}}


def _parse(data: dict, tmp_path: Path):
    return parse_study(data, source="study.toml", base=tmp_path)


def _error(data: dict, tmp_path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        _parse(data, tmp_path)
    assert "\n" not in str(info.value)
    return info.value


def test_calibration_without_wavelength(ceo2, tmp_path):
    ceo2["poni"].write_text(ceo2["poni"].read_text().replace("Wavelength: 4.066e-11\n", ""))
    err = _error(_study(ceo2), tmp_path)
    assert err.field == "diffraction[0].poni" and "no Wavelength" in err.message


def _pattern_tasks(study, tmp_path):
    return [t for t in plan_pieces(study, tmp_path / "out") if t["kind"] == "pattern"]


def test_image_run_validates_and_its_tasks_carry_the_calibration(ceo2, tmp_path):
    study = _parse(_study(ceo2, mask=str(ceo2["mask"])), tmp_path)
    run = study.diffraction[0]
    assert run.poni == ceo2["poni"] and run.frame == "auto"
    tasks = _pattern_tasks(study, tmp_path)
    assert [t["file"] for t in tasks] == [str(ceo2["tif"]), str(ceo2["tif2"])]
    t = tasks[0]
    assert t["image"] == {"frame": "auto", "npt": 3000, "polarization": 0.99, "inputs": ["poni", "mask"]}
    assert t["image_files"] == {"poni": str(ceo2["poni"]), "mask": str(ceo2["mask"]), "transfer_original": None,
                                "transfer_response": None}


def test_cache_key_holds_the_calibration_mask_and_transfer_bytes_and_settings(ceo2, tmp_path):
    """Same file, same pressure: the key changes with the bytes of the poni, of the mask, with the frame, and with
    transfer images; it does not change when nothing does."""
    def key(**run):
        return _pattern_tasks(_parse(_study(ceo2, **run), tmp_path), tmp_path)[0]["key"]

    first = key(mask=str(ceo2["mask"]))
    assert key(mask=str(ceo2["mask"])) == first
    assert key(mask=str(ceo2["mask"]), frame="dioptas") != first
    np.save(ceo2["mask"], np.ones((1043, 981), dtype=np.int8))
    after_mask = key(mask=str(ceo2["mask"]))
    assert after_mask != first
    ceo2["poni"].write_text(ceo2["poni"].read_text().replace("Rot3: -2.77645988275e-08", "Rot3: 0.0"))
    assert key(mask=str(ceo2["mask"])) != after_mask
    assert key(transfer_original=str(ceo2["orig"]), transfer_response=str(ceo2["resp"])) != key()


def test_per_file_thickness_and_backgrounds_reach_each_task(ceo2, tmp_path):
    data = _study(ceo2, backgrounds=[str(ceo2["xy"]), str(ceo2["tif"])], anvil_thickness_mm=2.0,
                  sample_thickness_um=[40.0, 25.0], refine_thickness=True)
    tasks = _pattern_tasks(_parse(data, tmp_path), tmp_path)
    assert [t["background"] for t in tasks] == [str(ceo2["xy"]), str(ceo2["tif"])]
    assert [t["config"]["sample_thickness_um"] for t in tasks] == [40.0, 25.0]
    assert [t["config"]["anvil_thickness_mm"] for t in tasks] == [2.0, 2.0]
    assert all(t["config"]["refine_thickness"] is True for t in tasks)
    assert tasks[0]["config"]["density"] == 7.2  # the shared analysis settings are still there
    assert tasks[0]["key"] != tasks[1]["key"]


def test_runs_of_1d_patterns_keep_their_cache_keys(ceo2, tmp_path):
    """No image, no geometry: the task has no image settings and the config is the analysis's (keys as before)."""
    data = _study(ceo2, files=[str(ceo2["xy"])], pressures_GPa=[1.0], poni=None)
    (t,) = _pattern_tasks(_parse(data, tmp_path), tmp_path)
    assert "image" not in t and t["image_files"] == {}
    assert set(t["config"]) == {"refine_density", "refine_bkg", "normalization", "r_max", "lorch", "iterations",
                                "density"}


@pytest.mark.parametrize(("run", "field", "words"), [
    ({"poni": None}, "poni", ["files[0] (p1.tif) is a 2D image", "poni ="]),
    ({"files": ["p1.xy"], "pressures_GPa": [1.0], "background": "p1.tif", "poni": None}, "poni",
     ["background (p1.tif) is a 2D image"]),
    ({"files": ["p1.xy"], "pressures_GPa": [1.0]}, "poni", ["applies to 2D images", ".tif"]),
    ({"files": ["p1.xy"], "pressures_GPa": [1.0], "poni": None, "frame": "dioptas"}, "frame",
     ["applies to 2D images"]),
    ({"background": "p1.xy", "backgrounds": ["p1.xy", "p1.xy"]}, "backgrounds", ["not both"]),
    ({"backgrounds": ["p1.xy"]}, "backgrounds", ["1 backgrounds for 2 files"]),
    ({"anvil_thickness_mm": [2.0, 2.0, 2.0]}, "anvil_thickness_mm", ["3 values for 2 files"]),
    ({"sample_thickness_um": [30.0]}, "sample_thickness_um", ["1 values for 2 files"]),
    ({"anvil_thickness_mm": [2.0, 12.0]}, "anvil_thickness_mm[1]", ["anvil thickness 12 mm", "≤ 10 mm"]),
    ({"anvil_thickness_mm": 0.0}, "anvil_thickness_mm", ["anvil thickness 0 mm"]),
    ({"sample_thickness_um": 1500.0}, "sample_thickness_um", ["≤ 1000 µm"]),
    ({"sample_thickness_um": -5.0}, "sample_thickness_um", ["outside 0 <"]),
    ({"transfer_original": "original.tif"}, "transfer_response", ["transfer_original needs transfer_response"]),
    ({"transfer_response": "response.tif"}, "transfer_original", ["transfer_response needs transfer_original"]),
    ({"wavelength_A": 0.31}, "wavelength_A", ["0.31 Å", "CeO2_Pilatus1M.poni says 0.4066 Å"]),
    ({"frame": "fit2d"}, "frame", []),
    ({"anvil_thickness_um": 2000.0}, "anvil_thickness_um", ["wrong unit", "anvil_thickness_mm"]),
])
def test_mistakes_name_their_field(ceo2, tmp_path, run, field, words):
    """Each mistake is one line naming the study file and the field path (and the values at fault)."""
    err = _error(_study(ceo2, **run), tmp_path)
    assert err.field == f"diffraction[0].{field}", str(err)
    assert err.source == "study.toml"
    for w in words:
        assert w in err.message, str(err)


@pytest.mark.image
def test_pattern_piece_integrates_the_image(ceo2, tmp_path):
    """The piece reads the image through integrate_image (q in Å⁻¹, the calibration's wavelength) and keeps the
    pattern and the frame decision (auto → dioptas for this Dioptas calibration) for the run's notes."""
    pytest.importorskip("pyFAI")
    from hpglass.study.pieces import run_piece

    task = _pattern_tasks(_parse(_study(ceo2), tmp_path), tmp_path)[0]
    out = run_piece(task)
    pat = out["pattern"]
    assert pat["unit"] == "q_A" and pat["wavelength"] == pytest.approx(0.4066) and len(pat["x"]) == 3000
    q111 = 2 * np.pi * np.sqrt(3) / 5.41165  # CeO2 (111), the strongest line
    assert pat["x"][np.argmax(pat["y"])] == pytest.approx(q111, abs=2 * (pat["x"][1] - pat["x"][0]))
    assert out["notes"][0].startswith("image frame dioptas (auto): CeO2_Pilatus1M.poni")
    assert out["n_sharp"] and out["n_sharp"] >= 5  # a calibrant: Bragg peaks, not a glass


@pytest.mark.image
def test_run_study_with_images_end_to_end(ceo2, tmp_path):
    """The run's aggregate works on the integrated patterns (the crystallization check reads the pieces' patterns,
    not the image files) and its notes carry the frame decision once."""
    pytest.importorskip("pyFAI")
    from hpglass.study.runner import run_study

    result = run_study(_parse(_study(ceo2), tmp_path), tmp_path / "out", workers=1, write=False)
    run = result.diffraction[0]
    assert [p.crystalline for p in run.points] == [True, True]  # CeO2, a calibrant: Bragg peaks in both
    assert run.notes["images"].startswith("image frame dioptas (auto): CeO2_Pilatus1M.poni")
    assert " | " not in run.notes["images"]  # the same decision for both files is said once
