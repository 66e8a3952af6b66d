"""Hypothesis strategies shared by the test suite (one place, as attrs/cattrs do it)."""

from __future__ import annotations

from hypothesis import strategies as st

#: Finite, non-negative floats of a sane magnitude for rates and sizes.
non_negative_floats = st.floats(
    min_value=0.0, max_value=1e15, allow_nan=False, allow_infinity=False
)

#: Positive floats of a sane magnitude.
positive_floats = st.floats(min_value=1e-6, max_value=1e15, allow_nan=False, allow_infinity=False)

#: Fractions in [0, 1].
fractions = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)

#: Values that no numeric parameter should accept.
bad_numbers = st.sampled_from([float("nan"), float("inf"), float("-inf"), "1", None, True])

#: Seeds for the project's ``rng=`` argument.
seeds = st.integers(min_value=0, max_value=2**32 - 1)


# --- estimation -------------------------------------------------------------------------
def workloads(**fixed: object) -> st.SearchStrategy[object]:
    """Valid ``twitterdesign.estimation.Workload`` values (fields in ``fixed`` held constant)."""
    from twitterdesign.estimation import Workload

    def zero_or(low: float, high: float) -> st.SearchStrategy[float]:
        # Zero or a realistic magnitude: no subnormal products that break ratio checks.
        return st.just(0.0) | st.floats(min_value=low, max_value=high)

    counts = zero_or(1e-3, 1e4)
    sizes = zero_or(1.0, 1e9)
    image = zero_or(1e-3, 0.5)
    video = zero_or(1e-3, 0.5)
    fields: dict[str, st.SearchStrategy[object]] = {
        "daily_active_users": st.floats(min_value=1.0, max_value=1e10),
        "tweets_per_user_per_day": counts,
        "requests_per_user_per_day": counts,
        "tweets_viewed_per_user_per_day": counts,
        "text_bytes_per_tweet": sizes,
        "image_fraction": image,
        "image_bytes": sizes,
        "video_fraction": video,
        "video_bytes": sizes,
        "requests_per_server_per_second": st.floats(min_value=1e-3, max_value=1e7),
        "peak_to_average": st.floats(min_value=1.0, max_value=24.0),
        "replication_factor": st.floats(min_value=1.0, max_value=10.0),
        "retention_years": zero_or(1e-2, 100.0),
        "cache_hot_fraction": zero_or(1e-3, 1.0),
        "cost_per_server_hour": st.none() | st.floats(min_value=0.0, max_value=100.0),
    }
    fields.update({name: st.just(value) for name, value in fixed.items()})
    return st.builds(Workload, **fields)


# --- twitterdesign.lb ---------------------------------------------------------------
#: Small cluster shapes (clients, servers, aperture) for load-balancer properties.
lb_cluster_shapes = st.integers(min_value=1, max_value=60).flatmap(
    lambda servers: st.tuples(
        st.integers(min_value=1, max_value=80),
        st.just(servers),
        st.integers(min_value=1, max_value=servers),
    )
)

#: Operation scripts for balancer state machines: ("start"|"finish"|"down"|"up", index).
lb_operations = st.lists(
    st.tuples(st.sampled_from(["pick", "finish", "down", "up"]), st.integers(0, 30)),
    max_size=60,
)

# --- twitterdesign.topk -------------------------------------------------------------

#: Items a top-k sketch accepts: small ints (so items repeat), the int64 extremes and
#: short strings (hashtags).
topk_items = st.one_of(
    st.integers(min_value=0, max_value=30),
    st.sampled_from([-(2**63), 2**63 - 1]),
    st.text(alphabet="ab#é", max_size=3),
)

#: Strings only, as in a hashtag stream: short tags that repeat, tags longer than the
#: 15 bytes the packed path keeps inline (and than MurmurHash3's 16-byte block), non-ASCII
#: text, a lone surrogate, the empty string and the packing separator ``"\x00"``.
topk_texts = st.one_of(
    st.text(alphabet="ab#é", max_size=3),
    st.sampled_from(
        ["#" + "x" * 15, "#" + "x" * 16, "#worldcup2026-final-" + "ab" * 10, "\ud800", "", "a\x00b"]
    ),
    st.text(alphabet="ab中😀", min_size=4, max_size=40),
)

#: Weighted event streams: lists of ``(item, weight)`` with positive integer weights;
#: either mixed items or only strings (long enough for the packed string path).
topk_weighted_streams = st.one_of(
    st.lists(st.tuples(topk_items, st.integers(min_value=1, max_value=20)), max_size=150),
    st.lists(st.tuples(topk_texts, st.integers(min_value=1, max_value=20)), max_size=300),
)

#: Unweighted integer id streams, skewed so a few ids are heavy.
topk_int_streams = st.lists(
    st.one_of(st.integers(min_value=0, max_value=3), st.integers(min_value=0, max_value=200)),
    max_size=400,
)


# --- timeline: small follower graphs as (n_users, followers, followees) edge lists ---
@st.composite
def follow_edge_lists(draw: st.DrawFn, max_users: int = 12, max_edges: int = 60) -> tuple:
    """Draw ``(n_users, followers, followees)`` with no self-follows (repeats allowed)."""
    n = draw(st.integers(min_value=2, max_value=max_users))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1]),
            max_size=max_edges,
        )
    )
    return n, [a for a, _ in pairs], [b for _, b in pairs]


# --- reference app: hostile request values ----------------------------------------------
#: Signed 64-bit bounds: Snowflake ids and every integer SQLite stores.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

#: Integers at and past the edges that break hand-written parsers and SQLite's int64.
hostile_integers = st.one_of(
    st.sampled_from(
        [0, 1, -1, INT64_MAX - 1, INT64_MAX, INT64_MAX + 1, INT64_MIN, INT64_MIN - 1, 2**64]
    ),
    st.integers(min_value=-(10**30), max_value=10**30),
)

#: Text a client may send where an integer or an id is expected.
hostile_number_texts = st.one_of(
    hostile_integers.map(str),
    st.sampled_from(
        ["--1", "-0", "+1", "1.5", "1e3", "0x10", " 1", "1 ", "-", "²", "١٢٣", "１２", "9" * 5000]
    ),
    st.text(alphabet="-+0123456789", min_size=1, max_size=25),
    st.text(st.characters(categories=["Nd"]), min_size=1, max_size=5),  # non-ASCII digits too
)

#: Strings holding at least one lone surrogate (legal in a JSON escape, not in Unicode text).
lone_surrogate_texts = st.builds(
    lambda before, surrogate, after: before + surrogate + after,
    st.text(max_size=5),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    st.text(max_size=5),
)

#: JSON values of every type (for "wrong JSON type" probes), small and shallow.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


def nested_json(depth: int, *, leaf: str = "1") -> str:
    """Return JSON text nesting arrays and objects ``depth`` levels deep (alternating)."""
    opening = "".join('{"a":' if level % 2 else "[" for level in range(depth))
    closing = "".join("}" if level % 2 else "]" for level in reversed(range(depth)))
    return opening + leaf + closing


# --- reference_app storage ----------------------------------------------------------------
def pages(*, ids_up_to: int = 60, max_limit: int = 8) -> st.SearchStrategy[object]:
    """``reference_app.storage.Page`` values: any mix of cursors in ``[0, ids_up_to]``."""
    from twitterdesign.reference_app.storage import Page

    cursor = st.none() | st.integers(min_value=0, max_value=ids_up_to)
    return st.builds(
        Page,
        max_id=cursor,
        since_id=cursor,
        min_id=cursor,
        limit=st.integers(min_value=1, max_value=max_limit),
    )
