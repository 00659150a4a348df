"""Fuzz suite of issue 14: every reader-facing command on mutated real, bundled and synthetic inputs.

Each hypothesis example is one ``hpglass … --json`` run judged by ``_fuzz_harness.violations``: exit 0 with one
JSON document (stderr: only ``warning:``/``note:`` lines) or exit 2 with exactly one ``hpglass: error:`` line; no
traceback, no leaked Python warning, no hang over 60 s, no input modified, nothing left in OUT on failure, the
case inside its address-space limit and under 2 GB peak RSS.

Seeded: ``derandomize=True`` makes every run draw the same cases. The fast form (default, part of ``make test``)
runs a few cases per command; ``make fuzz`` sets HPGLASS_FUZZ_EXAMPLES to spread ≥ 1000 over the commands by the
weights below and prints a summary (tests/fuzz/conftest.py). No shrinking: a case can take up to the time limit,
and the failing example is printed with its mutations as data, which is enough to replay it.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import _fuzz_harness as H
import _fuzz_mutate as M
import _fuzz_seeds as S

pytestmark = pytest.mark.fuzz


def fuzz(weight: float, fast: int):
    """Hypothesis settings of one fuzz test: ``fast`` cases in the fast form, weight × N in the long form."""
    return settings(max_examples=H.examples(weight, fast), derandomize=True, deadline=None, database=None,
                    phases=[Phase.explicit, Phase.generate], print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture,
                                           HealthCheck.large_base_example])


def run_case(runner, base, command: str, files: dict[str, bytes], argv, *, with_out: bool = False,
             expect: str | None = None, note: str = "", check=None) -> H.Outcome:
    """Write ``files`` into a fresh case folder, run ``argv(paths, out)`` there and judge the outcome."""
    case = H.Case.new(base)
    try:
        paths = {name: case.put(name, data) for name, data in files.items()}
        args = [str(a) for a in argv(paths, case.out)]
        before = H.tree_hashes(case.inputs)
        o = runner.run(args, case.root)
        bad = H.violations(o, out_dir=case.out if with_out else None, before=before, inputs=case.inputs,
                           expect=expect)
        if check is not None:
            bad += check(o)
        H.record(command, o, bad, case.root, note)
        return o
    finally:
        case.cleanup()


def pick(seeds):
    return st.sampled_from(range(len(seeds)))


def maybe(strategy, p_none: int = 3):
    """None most of the time (the option is left out), else a drawn value."""
    return st.one_of(*([st.none()] * p_none), strategy)


# -- transport -------------------------------------------------------------------------------------------------------
TC = S.transport_tc()


@fuzz(0.09, 8)
@given(k=pick(TC), muts=M.mutations(), min_step=maybe(M.number_text(0, 1)), channel=maybe(M.int_text(-1, 4), 5))
def test_fuzz_transport_tc(fuzz_runner, fuzz_base, k, muts, min_step, channel):
    name, data, opts = TC[k]
    extra = opts + (["--min-step", min_step] if min_step is not None else []) + \
        (["--channel", channel] if channel is not None else [])
    run_case(fuzz_runner, fuzz_base, "transport tc", {name: M.apply(data, muts)},
             lambda p, out: ["transport", "tc", p[name], *extra, "--json"], note=f"seed {name}, mutations {muts}")


HC2 = S.transport_hc2()


@fuzz(0.06, 5)
@given(k=pick(HC2), muts=M.mutations(), criterion=maybe(M.number_text(1, 99)), twice=st.booleans())
def test_fuzz_transport_hc2(fuzz_runner, fuzz_base, k, muts, criterion, twice):
    name, data, opts = HC2[k]
    files = {name: M.apply(data, muts)}
    if twice:  # a second, unmutated file: hc2 takes several
        files["second_" + name] = data
    extra = opts + (["--criterion", criterion] if criterion is not None else [])
    run_case(fuzz_runner, fuzz_base, "transport hc2", files,
             lambda p, out: ["transport", "hc2", *p.values(), *extra, "--json"], note=f"seed {name}, mutations {muts}")


SIGMA = S.transport_sigma()


@fuzz(0.07, 6)
@given(k=pick(SIGMA), muts=M.mutations(), segments=maybe(M.int_text(-1, 4)))
def test_fuzz_transport_sigma(fuzz_runner, fuzz_base, k, muts, segments):
    name, data, opts = SIGMA[k]
    extra = opts + (["--segments", segments] if segments is not None else [])
    run_case(fuzz_runner, fuzz_base, "transport sigma", {name: M.apply(data, muts)},
             lambda p, out: ["transport", "sigma", p[name], *extra, "--json"], note=f"seed {name}, mutations {muts}")


# -- equations of state ----------------------------------------------------------------------------------------------
EOS = S.eos_tables()
FORMS = ["bm2", "bm3", "bm4", "vinet", "murnaghan"]


@fuzz(0.07, 6)
@given(k=pick(EOS), muts=M.mutations(), form=st.sampled_from(FORMS), method=st.sampled_from(["odr", "ev"]),
       fix=maybe(st.tuples(st.sampled_from(["--fix-V0", "--fix-K0", "--fix-K0p", "--fix-K0pp"]), M.number_text())))
def test_fuzz_eos_fit(fuzz_runner, fuzz_base, k, muts, form, method, fix):
    name, data, opts = EOS[k]
    extra = opts + ["--form", form, "--method", method] + (list(fix) if fix else [])
    run_case(fuzz_runner, fuzz_base, "eos fit", {name: M.apply(data, muts)},
             lambda p, out: ["eos", "fit", p[name], *extra, "--json"], note=f"seed {name}, mutations {muts}")


@fuzz(0.05, 4)
@given(k=pick(EOS), muts=M.mutations(), form=st.sampled_from(FORMS), fix_v0=maybe(M.number_text(1, 100)))
def test_fuzz_eos_ff(fuzz_runner, fuzz_base, k, muts, form, fix_v0):
    name, data, opts = EOS[k]
    extra = opts + ["--form", form] + (["--fix-V0", fix_v0] if fix_v0 is not None else [])
    run_case(fuzz_runner, fuzz_base, "eos ff", {name: M.apply(data, muts)},
             lambda p, out: ["eos", "ff", p[name], *extra, "--json"], note=f"seed {name}, mutations {muts}")


@fuzz(0.05, 4)
@given(k=pick(EOS), muts=M.mutations(), b=st.sampled_from(["table", "ref", "params"]),
       p_max=maybe(M.number_text(1, 200)), mc=st.sampled_from(["0", "0", "30", "-3"]))
def test_fuzz_eos_crossover(fuzz_runner, fuzz_base, k, muts, b, p_max, mc):
    name, data, opts = EOS[k]
    files = {name: M.apply(data, muts)}
    if b == "table":
        files["b_pnma.csv"] = S.read(S.DEMO / "simulated" / "crystals" / "pnma_eos.csv")
    b_args = {"table": [], "ref": ["--b-ref", "au"], "params": ["--b-params", "V0=25,K0=60,K0p=4.5", "--b-per",
                                                                "atom"]}[b]
    extra = opts + b_args + (["--p-max", p_max] if p_max is not None else []) + ["--mc", mc]

    def argv(p, out):
        return ["eos", "crossover", p[name], *([p["b_pnma.csv"], "--composition", "Sb2Se3"] if b == "table"
                                               else []), *extra, "--json"]

    run_case(fuzz_runner, fuzz_base, "eos crossover", files, argv, note=f"seed {name}, B {b}, mutations {muts}")


# -- pressure ----------------------------------------------------------------------------------------------------------
@fuzz(0.06, 8)
@given(lam=M.number_text(690, 760), scale=st.sampled_from(["mao1986", "dewaele2008", "ruby2020", "ruby"]),
       lambda0=maybe(M.number_text(693, 696)), temp=maybe(M.number_text(0, 900)),
       corr=st.sampled_from(["ragan1992", "vos1991"]), err=maybe(M.number_text(0, 0.5)))
def test_fuzz_pressure_ruby(fuzz_runner, fuzz_base, lam, scale, lambda0, temp, corr, err):
    opts = ["--scale", scale, "--t-correction", corr]
    for flag, v in (("--lambda0", lambda0), ("--temperature", temp), ("--lambda-err", err)):
        if v is not None:
            opts += [flag, v]
    # a value that starts with '-' would be read as an option: '--' ends the options first
    argv = ["pressure", "ruby", *opts, "--json", *(["--", lam] if lam.startswith("-") else [lam])]
    run_case(fuzz_runner, fuzz_base, "pressure ruby", {}, lambda p, out: argv)


#: the quantity given to `pressure gold` and a range of it that gold takes between 0 and ~150 GPa (λ = 0.3 Å for 2θ)
GOLD_INPUTS = {"--d111": (2.0, 2.36), "--d200": (1.75, 2.04), "--d": (1.2, 2.36), "--two-theta": (7.0, 9.0),
               "--volume": (45.0, 68.0)}


@fuzz(0.06, 8)
@given(what_value=st.sampled_from(sorted(GOLD_INPUTS)).flatmap(
           lambda w: st.tuples(st.just(w), M.number_text(*GOLD_INPUTS[w]))),
       hkl=st.sampled_from(["111", "200", "2,2,0", "000", "1,1", "x"]), wl=maybe(M.number_text(0.25, 0.35), 1),
       scale=st.sampled_from(["fei2007", "dewaele2004"]), temp=maybe(M.number_text(0, 3000)),
       err=maybe(M.number_text(0, 0.1)))
def test_fuzz_pressure_gold(fuzz_runner, fuzz_base, what_value, hkl, wl, scale, temp, err):
    what, value = what_value
    argv = ["pressure", "gold", "--scale", scale, "--json"]
    if what in ("--d", "--two-theta"):
        argv += ["--hkl", hkl]
    if what == "--two-theta" and wl is not None:
        argv += ["--wavelength", wl]
    if temp is not None:
        argv += ["--temperature", temp]
    if err is not None:
        argv += [{"--two-theta": "--two-theta-err", "--volume": "--volume-err"}.get(what, "--d-err"), err]
    argv += [f"{what}={value}"]  # '=' keeps a negative value from being read as an option
    run_case(fuzz_runner, fuzz_base, "pressure gold", {}, lambda p, out: argv)


# -- series ------------------------------------------------------------------------------------------------------------
SERIES = S.series_tables()


@fuzz(0.09, 6)
@given(k=pick(SERIES), muts=M.mutations(), segments=maybe(M.int_text(0, 4)), min_points=maybe(M.int_text(0, 6), 5),
       ci=maybe(M.number_text(0, 1), 5), unweighted=st.booleans())
def test_fuzz_series_breakpoints(fuzz_runner, fuzz_base, k, muts, segments, min_points, ci, unweighted):
    name, data, opts = SERIES[k]
    extra = list(opts)
    for flag, v in (("--segments", segments), ("--min-points", min_points), ("--ci-level", ci)):
        if v is not None:
            extra += [flag, v]
    if unweighted:
        extra.append("--unweighted")
    run_case(fuzz_runner, fuzz_base, "series breakpoints", {name: M.apply(data, muts)},
             lambda p, out: ["series", "breakpoints", p[name], *extra, "--json"],
             note=f"seed {name}, mutations {muts}")


# -- diffraction -------------------------------------------------------------------------------------------------------
PATTERNS = S.patterns()


@fuzz(0.12, 8)
@given(k=pick(PATTERNS), muts=M.mutations(), target=st.sampled_from(["sample", "sample", "background"]),
       qmax=maybe(M.number_text(5, 30), 4), wl=maybe(M.number_text(0.1, 1), 6), strict=st.booleans())
def test_fuzz_scatter(fuzz_runner, fuzz_base, k, muts, target, qmax, wl, strict):
    name, sample, bkg, opts = PATTERNS[k]
    files = {name: M.apply(sample, muts) if target == "sample" or bkg is None else sample}
    if bkg is not None:
        files["bkg_" + name] = M.apply(bkg, muts) if target == "background" else bkg
    extra = list(opts)
    if wl is not None:
        i = extra.index("--wavelength")
        extra[i + 1] = wl
    if qmax is not None:
        extra += ["--qmax", qmax]
    if strict:
        extra.append("--strict")

    def argv(p, out):
        return ["scatter", p[name], *(["--bkg", p["bkg_" + name]] if bkg is not None else []), *extra,
                "--out", out, "--json"]

    run_case(fuzz_runner, fuzz_base, "scatter", files, argv, with_out=True,
             note=f"seed {name}, {target} mutated: {muts}")


IMAGES = S.images()


@pytest.mark.skipif(not IMAGES, reason="the shared data folder (../shared/data) with the CeO2 image is absent")
@fuzz(0.02, 1)
@given(muts=M.mutations(max_size=2), target=st.sampled_from(["image", "image", "poni"]))
def test_fuzz_scatter_image(fuzz_runner, fuzz_base, muts, target):
    img_name, img, poni_name, poni, opts = IMAGES[0]
    files = {img_name: M.apply(img, muts) if target == "image" else img,
             poni_name: M.apply(poni, muts) if target == "poni" else poni}
    run_case(fuzz_runner, fuzz_base, "scatter (image)", files,
             lambda p, out: ["scatter", p[img_name], "--poni", p[poni_name], *opts, "--out", out, "--json"],
             with_out=True, note=f"{target} mutated: {muts}")


# -- simulated structures --------------------------------------------------------------------------------------------
FRAMES = S.frames()


@fuzz(0.06, 3)
@given(k=pick(FRAMES), muts=M.mutations(), r_max=maybe(M.number_text(1, 8), 5), dr=maybe(M.number_text(0.001, 0.1), 6),
       cutoff=maybe(st.sampled_from(["Sb-Se=3.2", "Sb-Se=nan", "Sb-Se=-1", "Sb-Se=1e308", "Xx-Se=3", "Sb-Se"]), 5),
       rings=st.sampled_from(["none", "none", "none", "primitive"]))
def test_fuzz_structure(fuzz_runner, fuzz_base, k, muts, r_max, dr, cutoff, rings):
    name, data, opts = FRAMES[k]
    extra = opts + ["--rings", rings, "--max-ring", "6", "--workers", "1"]
    for flag, v in (("--r-max", r_max), ("--dr", dr), ("--cutoff", cutoff)):
        if v is not None:
            extra += [flag, v]
    run_case(fuzz_runner, fuzz_base, "structure", {name: M.apply(data, muts)},
             lambda p, out: ["structure", p[name], *extra, "--out", out, "--json"], with_out=True,
             note=f"seed {name}, mutations {muts}")


ELF = S.elf_grids()


@fuzz(0.08, 6)
@given(k=pick(ELF), muts=M.mutations(), bins=maybe(M.int_text(-1, 200)), assign=st.sampled_from(["nearest", "sphere"]),
       radius=maybe(M.number_text(0.1, 5), 4), slice_pos=maybe(M.number_text(0, 1), 4),
       thresholds=maybe(st.sampled_from(["0.5", "0.5,nan", "2,3", "", "0.1,0.9,0.95"]), 5))
def test_fuzz_elf(fuzz_runner, fuzz_base, k, muts, bins, assign, radius, slice_pos, thresholds):
    name, data, flag = ELF[k]
    extra = ["--assign", assign]
    for opt, v in (("--bins", bins), ("--radius", radius), ("--slice-pos", slice_pos), ("--thresholds", thresholds)):
        if v is not None:
            extra += [opt, v]
    run_case(fuzz_runner, fuzz_base, "elf", {name: M.apply(data, muts)},
             lambda p, out: ["elf", flag, p[name], *extra, "--out", out, "--json"], with_out=True,
             note=f"seed {name}, mutations {muts}")


# -- whole studies -----------------------------------------------------------------------------------------------------
STUDY_FILES = {"rho.csv": S.read(S.DEMO / "study_transport" / "run1_resistivity_vs_pressure.csv"),
               "c8.dat": S.read(S.DEMO / "study_transport" / "run1_008.0GPa_ETO.dat")}


@fuzz(0.05, 3)
@given(muts=M.mutations(), target=st.sampled_from(["study.toml", "study.toml", "study.toml", "rho.csv", "c8.dat"]))
def test_fuzz_run_study(fuzz_runner, fuzz_base, muts, target):
    files = {"study.toml": S.study_toml()} | STUDY_FILES
    files[target] = M.apply(files[target], muts)
    run_case(fuzz_runner, fuzz_base, "run", files,
             lambda p, out: ["run", p["study.toml"], "--out", out, "--workers", "1", "--json"], with_out=True,
             note=f"{target} mutated: {muts}")


# -- simulate: input validation only (no MD is started) ---------------------------------------------------------------
#: (option, value) pairs that are never a valid protocol: each must be refused before anything runs
INVALID_SIM = [("--atoms", "0"), ("--atoms", "-5"), ("--atoms", "x"), ("--pressures", ""), ("--pressures", "5,0"),
               ("--pressures", "0,nan"), ("--pressures", "0,,5"), ("--pressures", "1e308,inf"),
               ("--temperature", "nan"), ("--temperature", "-1"), ("--melt-temperature", "inf"),
               ("--timestep-fs", "0"), ("--timestep-fs", "nan"), ("--quench-rate", "-10"), ("--friction", "nan"),
               ("--sample-every", "0"), ("--checkpoint-every", "-1"), ("--barostat", "sideways"),
               ("--compressibility", "inf"), ("--threads", "0"), ("--composition", "Xx2"), ("--composition", ""),
               ("--initial-density", "0"), ("--min-distance", "-2"), ("--steps-per-pressure", "-1"),
               ("--crystal", "diamond")]
SIM_OK = [("--atoms", "20"), ("--pressures", "0,5"), ("--temperature", "300"), ("--seed", "3"), ("--decompress", None),
          ("--melt-steps", "10"), ("--melt-steps", "99999999999999999999"), ("--device", "tpu")]


@fuzz(0.07, 6)
@given(bad=st.lists(st.sampled_from(INVALID_SIM), min_size=0, max_size=2),
       ok=st.lists(st.sampled_from(SIM_OK), max_size=3), resume_muts=maybe(M.mutations(), 3))
def test_fuzz_simulate_validation(fuzz_runner, fuzz_base, bad, ok, resume_muts):
    """Every case ends in exit 2 without MD: either an invalid value is refused, or the potential ('fuzz-none',
    always given) is unknown; a mutated run.json is read by --resume and refused likewise."""
    files = {}
    if resume_muts is not None:  # run.json names the potential 'fuzz-none'; --resume takes no protocol options
        files["run.json"] = M.apply(S.run_json(), resume_muts)

        def make(p, out):
            return ["simulate", "--resume", p["run.json"].parent, "--json"]
    else:
        opts = [a for flag, v in ok + bad for a in ([flag] if v is None else [flag, v])]  # bad last: it wins

        def make(p, out):
            return ["simulate", "--potential", "fuzz-none", *opts, "--out", out, "--json"]

    def refused_before_potential(o):
        late = bad and resume_muts is None and o.rc == 2 and "fuzz-none" in o.stderr
        return [f"invalid {bad} not refused before the potential is looked up"] if late else []

    run_case(fuzz_runner, fuzz_base, "simulate", files, make, expect="fail", with_out=True,
             note=f"invalid {bad}, valid {ok}, resume mutations {resume_muts}", check=refused_before_potential)
