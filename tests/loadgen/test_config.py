"""`DemoConfig` validation and the action mix."""

from __future__ import annotations

import pytest

from twitterdesign.errors import InvalidParameterError
from twitterdesign.loadgen import ACTION_MIX, DemoConfig


def test_config_validates_its_arguments() -> None:
    with pytest.raises(InvalidParameterError, match="mean_followees"):
        DemoConfig(users=10, mean_followees=8)
    with pytest.raises(InvalidParameterError, match="celebrity_followers"):
        DemoConfig(celebrity_followers=(1.5,))
    assert DemoConfig(users=100).fanout_threshold == 50
    assert abs(sum(w for _, w in ACTION_MIX) - 1.0) < 1e-9


@pytest.mark.parametrize(
    ("field", "value"),
    [("requests", 0), ("concurrency", 0), ("concurrency", 257), ("probes", 101), ("seed", -1)],
)
def test_config_names_the_bad_argument(field: str, value: int) -> None:
    with pytest.raises(InvalidParameterError, match=field):
        DemoConfig(**{field: value})  # type: ignore[arg-type]


def test_the_mix_is_read_heavy() -> None:
    shares = dict(ACTION_MIX)
    assert shares["home"] + shares["view"] + shares["search"] > 0.5
