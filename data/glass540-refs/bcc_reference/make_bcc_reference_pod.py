import json, sys
from hpglass.demo_study_data import DEMO_BCC_REFERENCE, make_bcc_reference
spec = dict(DEMO_BCC_REFERENCE)
spec.update(label="bcc Sb2Se3, 60 GPa (distilled POD student, 300 K NPT MD, LAMMPS)", repeat=(5, 5, 5))
spec["md"] = {"timestep_fs": 2.0, "temperature_K": 300.0, "equilibration_steps": 0,
              "pressure_equilibration_steps": 2500, "steps_per_pressure": 10000, "sample_every": 500,
              "checkpoint_every": 2500, "thermostat_time_fs": 100.0, "barostat_time_fs": 1000.0,
              "barostat": "isotropic", "seed": 2060}
r = make_bcc_reference(sys.argv[1], potential_dir="data/distil/pod-sb2se3-r3", spec=spec,
                       progress=lambda st, k, n: print(st, k, n, flush=True))
print({k: str(v) for k, v in r.items() if k in ("relaxed", "frames")})
