"""Issue 14 for the ASE protocol (hpglass.simulate.protocol): a resumed run removes the temporary files of atomic
writes that a SIGKILL left behind (and nothing else); CHGNet's known-harmless requires_grad UserWarning does not
leak from the calculator calls of run_protocol and relax_under_pressure, while any other warning still does.

A 16-atom EMT Cu cell with a few dozen steps (≈ 1 s a run)."""

from __future__ import annotations

import warnings

import pytest
from ase.calculators.emt import EMT

from hpglass.io.atomic import is_temp_name
from hpglass.simulate import ProtocolConfig, read_checkpoint, run_protocol
from hpglass.simulate.crystals import relax_under_pressure

CFG = ProtocolConfig(
    composition="Cu", n_atoms=16, initial_density_g_cm3=8.0, min_distance_A=1.9, seed=3, timestep_fs=5.0,
    melt_temperature_K=2000.0, melt_steps=10, quench_rate_K_per_ps=1700.0 / 0.05,  # 10 quench steps
    temperature_K=300.0, equilibration_steps=10, pressures_GPa=(0.0, 5.0), pressure_equilibration_steps=10,
    steps_per_pressure=20, sample_every=10, checkpoint_every=5, barostat_time_fs=250.0, compressibility_per_GPa=0.01,
)
CHGNET_MESSAGE = ("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                  "Consider using tensor.detach() first.")


class Stop(Exception):
    pass


def test_resume_removes_stale_temps_and_only_them(tmp_path):
    def killer(stage, step, n):
        if stage == "P_0GPa" and step == 12:
            raise Stop

    run = tmp_path / "run"
    with pytest.raises(Stop):
        run_protocol(CFG, EMT, run, progress=killer)
    # what a SIGKILL inside atomic_write_text leaves: hidden temps of the stage record, the checkpoint, the frames
    stale = [".P_0GPa.0123456789ab.tmp.json", ".checkpoint.a1b2c3d4e5f6.tmp.json", ".P_0GPa.ffffffffffff.tmp.extxyz"]
    keep = ["notes.txt", ".P_0GPa.0123456789ab.json", ".x.0123456789AB.tmp.json"]  # not the writer's pattern
    for name in stale + keep:
        (run / name).write_text("half-written")
    assert all(is_temp_name(n) for n in stale) and not any(is_temp_name(n) for n in keep)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / stale[0]).write_text("x")  # a fresh run (resume=False) removes nothing
    ref = run_protocol(CFG, EMT, fresh)
    assert ref.stale_temps_removed == 0 and (fresh / stale[0]).exists()

    res = run_protocol(CFG, EMT, run, resume=True)
    assert res.resumed_from == ("P_0GPa", 10) and res.stale_temps_removed == len(stale)
    assert not any((run / n).exists() for n in stale)
    assert all((run / n).read_text() == "half-written" for n in keep)
    assert read_checkpoint(run).completed == res.stages
    for stage in res.stages:  # the resumed run's files are those of an uninterrupted one
        assert (run / f"{stage}.json").read_bytes() == (fresh / f"{stage}.json").read_bytes()


class _Noisy(EMT):
    """EMT that warns, on every call, as CHGNet's model code does (from a module named chgnet.model.model), and
    once with another message from the same module."""

    calls = 0

    def calculate(self, *args, **kwargs):
        super().calculate(*args, **kwargs)
        _Noisy.calls += 1
        _chgnet_warn(CHGNET_MESSAGE)
        if _Noisy.calls == 3:
            _chgnet_warn("some other CHGNet warning")


_ns = {"__name__": "chgnet.model.model", "warnings": warnings}
exec("def _chgnet_warn(msg):\n    warnings.warn(msg, UserWarning)\n", _ns)  # the warning's module is chgnet.*
_chgnet_warn = _ns["_chgnet_warn"]


def test_chgnet_requires_grad_warning_does_not_leak_from_the_protocol(tmp_path):
    _Noisy.calls = 0
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        run_protocol(CFG, _Noisy, tmp_path)
    assert _Noisy.calls > 50  # the calculator ran (and warned) on every step
    messages = [str(w.message) for w in seen]
    assert not any("requires_grad" in m for m in messages), messages
    assert messages.count("some other CHGNet warning") == 1  # only the known-harmless one is silenced
    with warnings.catch_warnings(record=True) as after:  # and only inside the run: the filter does not stay
        warnings.simplefilter("always")
        _chgnet_warn(CHGNET_MESSAGE)
    assert [str(w.message) for w in after] == [CHGNET_MESSAGE]


def test_chgnet_requires_grad_warning_does_not_leak_from_a_relaxation():
    from ase.build import bulk

    _Noisy.calls = 0
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        res = relax_under_pressure(bulk("Cu", cubic=True), _Noisy(), 1.0, fmax=0.05, steps=20)
    assert _Noisy.calls >= 3 and res.n_steps >= 1
    assert [str(w.message) for w in seen] == ["some other CHGNet warning"]
