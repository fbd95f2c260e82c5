"""``train.collectives`` counts the collectives of compiled HLO text and their bytes."""

import pytest

from lstmjax import train

HLO = """
  %p = f32[8,4]{1,0} parameter(0)
  %all-reduce = f32[5,3]{1,0} all-reduce(%dot.1), channel_id=1, to_apply=%add
  %all-reduce.1 = (f32[16]{0}, bf16[2,2]{1,0}) all-reduce(%a, %b), channel_id=2
  %ag = f32[64,4]{1,0} all-gather-start(%p), dimensions={0}
  %agd = f32[64,4]{1,0} all-gather-done(%ag)
  %fusion = f32[5,3]{1,0} fusion(%all-reduce), kind=kLoop
"""


def test_counts_ops_and_sums_their_result_bytes():
    assert train.collectives(HLO) == {
        "all-reduce": [2, 4 * 15 + 4 * 16 + 2 * 4],
        "all-gather": [1, 4 * 64 * 4],
    }


def test_no_collectives_is_empty():
    assert train.collectives("%x = f32[2]{0} add(%a, %b)") == {}


def test_an_unknown_element_type_is_named():
    with pytest.raises(ValueError, match="hlo: expected element types .* got 'c64'"):
        train.collectives("%r = c64[2]{0} all-reduce(%a)")
