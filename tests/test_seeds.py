"""`seeds`: its settings and its summary."""

import pytest

from scripts.model.seeds import parse_seeds, report, summary
from scripts.util.errors import UserError


def test_seeds_are_two_or_more_integers():
    assert parse_seeds("1, 2,3") == [1, 2, 3]
    with pytest.raises(UserError, match="--vars.seeds '1': give two seeds or more"):
        parse_seeds("1")
    with pytest.raises(UserError, match="comma-separated integers"):
        parse_seeds("1,a")


def test_the_spread_of_the_seeds():
    per_seed = {
        1: {"f": 0.80, "f_95": [0.7, 0.9]},
        2: {"f": 0.84, "f_95": [0.75, 0.9]},
        3: {"f": 0.82, "f_95": [0.7, 0.9]},
    }
    stats = summary(per_seed)
    assert stats == {"mean": 0.82, "sd": 0.02, "min": 0.8, "max": 0.84, "n": 3}
    assert "| 2 | 0.840 | 0.750-0.900 |" in report(per_seed, stats) and "standard deviation 0.020" in report(
        per_seed, stats
    )
