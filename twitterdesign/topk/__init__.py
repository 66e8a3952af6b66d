"""Top-k and heavy hitters: which tweets are viewed by millions, which hashtags trend.

Every counter here speaks one protocol (`FrequencySketch`): ``update`` /
``update_many`` to count, ``estimate`` / ``bounds`` / ``top_k`` to ask, ``merge`` to combine
counters from several machines, ``to_bytes`` / ``from_bytes`` to ship them. Answers come
with bounds (`HeavyHitter`) so a caller knows how far to trust them.

Examples:
    >>> from twitterdesign.topk import SpaceSaving, zipf_stream
    >>> views = zipf_stream(100_000, 10_000, 1.1, rng=7)
    >>> top = SpaceSaving(capacity=1000)
    >>> top.update_many(views)
    >>> [h.item for h in top.top_k(3)]
    [0, 1, 2]
"""

from twitterdesign.topk._base import FrequencySketch, HeavyHitter, Item
from twitterdesign.topk._count_min import CountMinSketch
from twitterdesign.topk._count_min_topk import CountMinTopK
from twitterdesign.topk._decayed import DecayedHitter, DecayedTopK
from twitterdesign.topk._exact import ExactCounter
from twitterdesign.topk._frequent_items import FrequentItems
from twitterdesign.topk._heavy_keeper import HeavyKeeper
from twitterdesign.topk._misra_gries import MisraGries
from twitterdesign.topk._sharded import CombineResult, ShardedCounter
from twitterdesign.topk._space_saving import SpaceSaving
from twitterdesign.topk._streams import TweetViewStream, tweet_view_stream, zipf_stream
from twitterdesign.topk._trends import RegionalTopK, Trend, regional_trending, trending
from twitterdesign.topk._windowed import WindowedTopK

__all__ = [
    "CombineResult",
    "CountMinSketch",
    "CountMinTopK",
    "DecayedHitter",
    "DecayedTopK",
    "ExactCounter",
    "FrequencySketch",
    "FrequentItems",
    "HeavyHitter",
    "HeavyKeeper",
    "Item",
    "MisraGries",
    "RegionalTopK",
    "ShardedCounter",
    "SpaceSaving",
    "Trend",
    "TweetViewStream",
    "WindowedTopK",
    "regional_trending",
    "trending",
    "tweet_view_stream",
    "zipf_stream",
]
