"""`Recorder`: per-endpoint counts, errors and quantiles; `EndpointStats`/`DemoReport` JSON."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from twitterdesign.loadgen import DemoReport, EndpointStats
from twitterdesign.loadgen._recorder import Recorder


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["GET /a", "GET /b", "POST /c"]),
            st.floats(0.0, 1e4, allow_nan=False),
            st.booleans(),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_stats_count_every_request_and_order_the_quantiles(
    calls: list[tuple[str, float, bool]],
) -> None:
    rec = Recorder()
    for endpoint, ms, ok in calls:
        rec.add(endpoint, ms, ok=ok)
    stats = rec.stats()
    assert rec.requests == len(calls) == sum(e.requests for e in stats)
    assert [e.requests for e in stats] == sorted((e.requests for e in stats), reverse=True)
    for e in stats:
        mine = [c for c in calls if c[0] == e.endpoint]
        assert e.requests == len(mine)
        assert e.errors == sum(1 for c in mine if not c[2])
        assert min(c[1] for c in mine) <= e.p50_ms <= e.p99_ms <= max(c[1] for c in mine)


def test_report_is_json_ready() -> None:
    report = DemoReport(
        users=3,
        follows=2,
        celebrities=[{"username": "celebrity0", "followers": 2}],
        fanout_threshold=1,
        setup_s=0.123456,
        replay_requests=1,
        replay_s=0.5,
        requests_per_second=2.0,
        endpoints=[EndpointStats("GET /a", 1, 0, 1.0, 1.0)],
        fanout={"statuses_pushed": 1.0},
        delivery_delays_s=[0.0123456, None],
        trending_tags=[],
        most_viewed=[],
    )
    out = json.loads(json.dumps(report.to_dict()))
    assert out["setup_s"] == 0.123
    assert out["delivery_delays_s"] == [0.0123, None]
    assert out["endpoints"][0]["endpoint"] == "GET /a"
