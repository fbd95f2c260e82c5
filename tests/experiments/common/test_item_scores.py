import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from experiments.common.item_scores import pack, unpack


def test_pack_writes_significant_digits_and_unpack_reads_them_back():
    assert pack([0.00123456, 1.0, 0.0, 12345.0]) == "0.001235 1 0 1.234e+04"
    np.testing.assert_array_equal(unpack("0.001235 1 0"), [0.001235, 1.0, 0.0])
    assert unpack("").shape == (0,)


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), max_size=50))
def test_a_round_trip_keeps_each_value_to_its_digits(values):
    back = unpack(pack(values, digits=6))
    np.testing.assert_allclose(back, values, rtol=1e-5, atol=0)


def test_bad_values_are_named():
    with pytest.raises(ValueError, match="^values: expected finite"):
        pack([0.1, float("nan")])
    with pytest.raises(ValueError, match="^values: expected a 1-d"):
        pack([[0.1]])
    with pytest.raises(TypeError, match="^text"):
        unpack([0.1, 0.2])
