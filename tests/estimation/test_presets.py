"""Each preset against the numbers its source publishes, with the source's rounding."""

from __future__ import annotations

import pytest

from twitterdesign.errors import InvalidParameterError
from twitterdesign.estimation import PRESETS, Preset, estimate, get_preset

TB = 1e12
PB = 1e15
GBPS = 1e9


def test_all_four_presets_exist_with_sources_and_notes() -> None:
    assert set(PRESETS) == {"lesson", "lesson-2022", "twitter-2012", "primer"}
    for name, preset in PRESETS.items():
        assert isinstance(preset, Preset)
        assert preset.name == name
        assert preset.source
        assert preset.notes  # each says which defaults it used
        assert preset.published
        assert preset.to_dict()["workload"] == preset.workload.to_dict()


def test_lesson_matches_published() -> None:
    r = estimate(PRESETS["lesson"].workload)
    # Exact: 1.5B tweets/day; 375 GB + 30 TB + 225 TB.
    assert r.tweets_per_day == 1.5e9
    split = r.storage_bytes_per_day_by_type
    assert (split.text, split.image, split.video) == pytest.approx((375e9, 30 * TB, 225 * TB))
    # "≈ 255 TB/day": the lesson drops 0.375 TB, so 0.5% tolerance.
    assert r.storage_bytes_per_day == pytest.approx(255 * TB, rel=0.005)
    # "≈ 93 PB/year": 93.2 PB rounded to two digits, 0.5%.
    assert r.storage_bytes_per_year == pytest.approx(93 * PB, rel=0.005)
    # "≈ 24 Gbps" in: 23.6 rounded to whole Gbps, so ±0.5 Gbps.
    assert r.incoming_bits_per_second == pytest.approx(24 * GBPS, abs=0.5 * GBPS)
    # "≈ 394 Gbps" out (0.58 + 46.3 + 347): three significant digits, ±0.5 in the last.
    assert r.outgoing_bits_per_second == pytest.approx(394 * GBPS, abs=0.5 * GBPS)
    out = r.outgoing_bits_per_second_by_type
    assert out.text == pytest.approx(0.58 * GBPS, abs=0.005 * GBPS)
    assert out.image == pytest.approx(46.3 * GBPS, abs=0.05 * GBPS)
    assert out.video == pytest.approx(347 * GBPS, abs=0.5 * GBPS)
    # Servers: "≈ 2", "≈ 8", exactly 156,250 (the lesson then rounds to 157K).
    assert r.servers_at_average_load == 2
    assert r.servers_at_peak == 8
    assert r.servers_if_all_requests_in_one_second == 156_250
    # The lesson prices 157K servers at $557,061/h; the same price per hour gives it.
    assert 157_000 * PRESETS["lesson"].workload.cost_per_server_hour == pytest.approx(  # type: ignore[operator]
        557_061.12, abs=0.01
    )


def test_lesson_2022_matches_published() -> None:
    preset = PRESETS["lesson-2022"]
    r = estimate(preset.workload)
    assert r.tweets_per_day == 750e6
    split = r.storage_bytes_per_day_by_type
    assert (split.text, split.image, split.video) == pytest.approx((187.5e9, 15 * TB, 112.5 * TB))
    # "≈ 128 TB/day" for 127.69 TB: rounded to whole TB.
    assert r.storage_bytes_per_day == pytest.approx(128 * TB, abs=0.5 * TB)
    # "46.72 PB/year" is 128 TB × 365 — the rounded daily figure times 365, so the
    # tolerance is that rounding: 0.31 TB/day × 365 = 0.11 PB.
    assert r.storage_bytes_per_year == pytest.approx(46.72 * PB, abs=0.12 * PB)
    # "≈ 12 Gbps" in (11.8), whole Gbps.
    assert r.incoming_bits_per_second == pytest.approx(12 * GBPS, abs=0.5 * GBPS)
    # "≈ 197.5 Gbps" = 0.3 + 23.2 + 174, the sum of parts each rounded: up to
    # 0.05 + 0.05 + 0.5 = 0.6 Gbps of rounding.
    assert r.outgoing_bits_per_second == pytest.approx(197.5 * GBPS, abs=0.6 * GBPS)
    out = r.outgoing_bits_per_second_by_type
    assert out.text == pytest.approx(0.3 * GBPS, abs=0.05 * GBPS)
    # 23.15 Gbps published as 23.2: the lesson rounds 144.7K views/s to 145K first
    # (0.22%), so 0.3% tolerance.
    assert out.image == pytest.approx(23.2 * GBPS, rel=0.003)
    assert out.video == pytest.approx(174 * GBPS, abs=0.5 * GBPS)
    # Server counts in that version are for 500M daily users: 15 vs the shortcut 62,500.
    at_500m = estimate(preset.workload.with_(daily_active_users=500e6, total_users=None))
    assert at_500m.servers_at_average_load == 15
    assert at_500m.servers_by_daily_users == 62_500


def test_twitter_2012_matches_published() -> None:
    r = estimate(PRESETS["twitter-2012"].workload)
    # The preset is derived from these totals, so they come back up to float rounding;
    # the talk itself says "~", i.e. two significant digits.
    assert r.workload.daily_active_users == 150e6
    assert r.requests_per_second == pytest.approx(300e3, rel=1e-9)
    assert r.tweets_per_second == pytest.approx(4.6e3, rel=1e-9)
    assert r.peak_tweets_per_second == pytest.approx(12e3, rel=1e-9)


def test_primer_matches_published() -> None:
    r = estimate(PRESETS["primer"].workload)
    assert r.tweets_per_day == 500e6
    # "150 TB/month": 10.18 KB × 500M × 30 = 152.7 TB; the primer rounds a tweet to
    # "~10 KB", a 1.8% difference, so 2%.
    assert r.storage_bytes_per_day * 30 == pytest.approx(150 * TB, rel=0.02)
    # "100K reads/s" and "6K tweets/s": the primer counts 2.5M seconds a month
    # (30 days are 2.592M), which makes its rates 3.7% higher; tolerance 4%.
    assert r.tweets_viewed_per_second == pytest.approx(100e3, rel=0.04)
    assert r.tweets_per_second == pytest.approx(6e3, rel=0.04)


def test_get_preset_unknown_name_names_the_field() -> None:
    assert get_preset("primer") is PRESETS["primer"]
    with pytest.raises(InvalidParameterError, match="preset") as info:
        get_preset("twitter-2099")
    assert info.value.name == "preset"
    assert "lesson" in str(info.value)
