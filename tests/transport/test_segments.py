import numpy as np
import pytest

from hpglass.errors import InputError
from hpglass.transport.curve import RCurve
from hpglass.transport.segments import merge_same_setpoint, split_sweeps
from hpglass.transport.synthetic import gl_tc_of_field, rt_family


def _concat(curves):
    return RCurve(np.concatenate([c.temperature_K for c in curves]), np.concatenate([c.resistance_ohm for c in curves]),
                  np.concatenate([c.field_T for c in curves]), "T", "<file>")


def test_split_recovers_each_field_sweep():
    fields = [0.0, 0.5, 1.0, 3.0]
    fam = rt_family(np.linspace(2, 10, 100), fields, 7.0, 0.2, lambda h: gl_tc_of_field(h, 7.0, 5.0))
    whole = _concat(fam)
    # a field with 1 mT of jitter must stay one sweep
    jitter = np.random.default_rng(0).normal(0, 1e-3, len(whole))
    whole = RCurve(whole.temperature_K, whole.resistance_ohm, whole.field_T + jitter, "T", "<file>")
    sweeps = split_sweeps(whole)
    assert [round(s.mean_field_T, 2) for s in sweeps] == fields
    assert all(len(s) == 100 for s in sweeps)


def test_short_setpoint_approach_is_dropped_and_same_field_merged():
    fam = rt_family(np.linspace(2, 10, 50), [1.0, 2.0, 1.0], 7.0, 0.2, lambda h: gl_tc_of_field(h, 7.0, 5.0))
    ramp = RCurve(np.full(5, 10.0), np.ones(5), np.linspace(1.1, 1.9, 5), "T", "<ramp>")
    whole = _concat([fam[0], ramp, fam[1], fam[2]])
    sweeps = split_sweeps(whole)
    assert len(sweeps) == 3
    merged = merge_same_setpoint(sweeps)
    assert [len(m) for m in merged] == [100, 50]


def test_no_sweep_is_an_input_error():
    c = RCurve(np.arange(5.0), np.ones(5), np.arange(5.0), "T", "<f>")
    with pytest.raises(InputError, match="no sweep"):
        split_sweeps(c)
