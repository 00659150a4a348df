import pytest

from hpglass.composition import Composition
from hpglass.errors import InputError


def test_parse_formula_fractions_and_mass():
    c = Composition.parse("Sb2Se3")
    assert c.fractions == pytest.approx({"Sb": 0.4, "Se": 0.6})
    # ⟨M⟩ = (2·121.760 + 3·78.971)/5 with IUPAC 2016 standard atomic weights
    assert c.mean_mass == pytest.approx((2 * 121.760 + 3 * 78.971) / 5, rel=1e-9)


def test_mapping_and_brackets_agree():
    a = Composition.parse("(SiO2)0.7(Na2O)0.3")
    b = Composition.parse({"Si": 0.7, "O": 1.7, "Na": 0.6})
    assert a.fractions == pytest.approx(b.fractions)


def test_density_round_trip_and_known_value():
    c = Composition.parse("Sb2Se3")
    # crystal Sb2Se3: 5.83 g/cm³ ↔ Z=4 formula units (20 atoms) in a·b·c = 547.5 Å³ → 0.0365 atoms/Å³
    n = c.number_density(5.83)
    assert n == pytest.approx(20 / (11.7938 * 3.9858 * 11.6478), rel=3e-3)
    assert c.mass_density(n) == pytest.approx(5.83)


@pytest.mark.parametrize("bad", ["Xx2Se3", "sb2se3", "", "Sb-2", {"Sb": -1}, {"Qq": 1}])
def test_bad_compositions_raise_input_error(bad):
    with pytest.raises(InputError, match="composition"):
        Composition.parse(bad)
