"""The Twitter 2012 preset and its scaling rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twitterdesign.errors import InvalidParameterError, NotFoundError
from twitterdesign.timeline import TIMELINE_PRESETS, power_law_graph, timeline_preset

TW = timeline_preset("twitter-2012")


def test_published_numbers_and_derived_rates() -> None:
    assert TW.active_users == 150_000_000
    assert TW.tweets_per_user_per_day == pytest.approx(4_600 * 86_400 / 150e6)
    assert TW.reads_per_user_per_day == pytest.approx(300_000 * 86_400 / 150e6)
    # 150M users × 800 entries × 20 bytes × 3 replicas = 7.2 TB.
    assert TW.cache_bytes_full == 7_200_000_000_000
    assert TW.celebrity_fanout_writes_per_s == pytest.approx(31e6 / 300)
    assert TW.to_dict()["source"].startswith("R. Krikorian")
    assert set(TIMELINE_PRESETS) == {"twitter-2012", "lesson"}
    lesson = timeline_preset("lesson")
    assert lesson.tweets_per_user_per_day == pytest.approx(3.0)
    assert lesson.reads_per_user_per_day == pytest.approx(20.0)
    # 80% of a day's tweets in 4.8 hours: 0.8 × daily / (4.8 × 3,600 s) = 4 × the average.
    daily = 500e6 * 3
    assert lesson.peak_tweets_per_s == pytest.approx(0.8 * daily / (4.8 * 3_600))


@given(st.integers(1_000, 150_000_000))
def test_scaling_keeps_per_user_behaviour_and_delivery_time(n: int) -> None:
    s = TW.scaled(n)
    ratio = n / 150e6
    assert s.scale == pytest.approx(ratio)
    assert s.timeline_reads_per_s == pytest.approx(300_000 * ratio)
    assert s.tweets_per_s == pytest.approx(4_600 * ratio)
    assert s.peak_tweets_per_s == pytest.approx(12_000 * ratio)
    assert s.reads_per_user_per_day == pytest.approx(TW.reads_per_user_per_day)
    assert s.cache_max_items == 800
    assert s.cache_replicas == 3
    assert abs(s.celebrity_followers - 31e6 * ratio) <= 0.5
    # Followers / throughput is the full-scale celebrity delivery time (up to rounding).
    assert s.celebrity_followers / s.celebrity_fanout_writes_per_s == pytest.approx(
        300.0, rel=1 / max(s.celebrity_followers, 1) + 1e-9
    )


def test_scaled_activity_has_the_preset_rates() -> None:
    s = TW.scaled(3_000)
    a = s.activity(power_law_graph(3_000, rng=1), rng=2)
    assert a.read_rate_per_s.sum() == pytest.approx(s.timeline_reads_per_s)
    assert a.tweet_rate_per_s.sum() == pytest.approx(s.tweets_per_s)
    assert s.to_dict()["n_users"] == 3_000


def test_errors() -> None:
    with pytest.raises(NotFoundError, match="twitter-2012"):
        timeline_preset("twitter-2099")
    with pytest.raises(InvalidParameterError, match="n_users"):
        TW.scaled(0)
    with pytest.raises(InvalidParameterError, match="n_users"):
        TW.scaled(150_000_001)
