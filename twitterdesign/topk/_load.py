"""Rebuild any serialized top-k structure from its header (used by the time-bucketed types)."""

from __future__ import annotations

from typing import Any

from twitterdesign.errors import CorruptDataError
from twitterdesign.topk import _serial


def _classes() -> dict[int, Any]:
    from twitterdesign.topk._count_min import CountMinSketch
    from twitterdesign.topk._count_min_topk import CountMinTopK
    from twitterdesign.topk._exact import ExactCounter
    from twitterdesign.topk._frequent_items import FrequentItems
    from twitterdesign.topk._heavy_keeper import HeavyKeeper
    from twitterdesign.topk._misra_gries import MisraGries
    from twitterdesign.topk._sharded import ShardedCounter
    from twitterdesign.topk._space_saving import SpaceSaving

    return {
        _serial.KIND_EXACT: ExactCounter,
        _serial.KIND_COUNT_MIN: CountMinSketch,
        _serial.KIND_COUNT_MIN_TOPK: CountMinTopK,
        _serial.KIND_SPACE_SAVING: SpaceSaving,
        _serial.KIND_MISRA_GRIES: MisraGries,
        _serial.KIND_HEAVY_KEEPER: HeavyKeeper,
        _serial.KIND_FREQUENT_ITEMS: FrequentItems,
        _serial.KIND_SHARDED: ShardedCounter,
    }


def load_sketch(data: bytes) -> Any:
    """Return the frequency sketch serialized in ``data``, whatever its class.

    Raises:
        CorruptDataError: If the header is not one of the frequency sketches.
    """
    if not isinstance(data, bytes | bytearray) or len(data) < 6 or data[:4] != _serial.MAGIC:
        raise CorruptDataError("not a serialized twitterdesign sketch (bad magic)")
    cls = _classes().get(data[5])
    if cls is None:
        raise CorruptDataError(f"bytes hold structure kind {data[5]}, not a frequency sketch")
    return cls.from_bytes(bytes(data))


def clone_empty(sketch: Any, name: str = "sketch") -> Any:
    """Return a fresh copy of an empty prototype sketch, checking that it is one.

    Raises:
        InvalidParameterError: If ``sketch`` is not a frequency sketch or is not empty.
    """
    from twitterdesign.errors import InvalidParameterError

    if type(sketch) not in _classes().values():
        raise InvalidParameterError(name, sketch, "an empty sketch from twitterdesign.topk")
    if sketch.total_weight != 0:
        raise InvalidParameterError(name, sketch, "an empty sketch (total_weight == 0)")
    return load_sketch(sketch.to_bytes())


def load_nested(data: bytes, prototype: bytes, owner: str) -> Any:
    """Load a sketch nested in ``owner``'s bytes and check it matches the template.

    A bucket or region must have the template's type and configuration (sizes, seed,
    ``k``...): the same test `merge` applies, so a loaded structure never fails later
    when it merges its parts.

    Raises:
        CorruptDataError: If ``data`` is not a sound sketch of the template's config.
    """
    from twitterdesign.errors import IncompatibleError

    sketch = load_sketch(data)
    probe = load_sketch(prototype)
    if type(sketch) is not type(probe):
        raise CorruptDataError(f"serialized {owner} holds a sketch of another type")
    try:
        probe.merge(sketch)
    except IncompatibleError:
        raise CorruptDataError(
            f"serialized {owner} holds a sketch whose configuration differs from its template"
        ) from None
    return sketch
