"""Contract of `SketchStore`: named serialized sketches, replaced whole, listed by prefix."""

from __future__ import annotations

from twitterdesign.reference_app.storage import Store


def test_save_load_and_replace(store: Store) -> None:
    assert store.load_sketch("tags:1") is None
    data = bytes(range(256))  # any bytes, NULs included
    store.save_sketch("tags:1", data, 5)
    assert store.load_sketch("tags:1") == data
    store.save_sketch("tags:1", b"newer", 6)
    assert store.load_sketch("tags:1") == b"newer"
    store.save_sketch("empty", b"", 7)
    assert store.load_sketch("empty") == b""


def test_names_by_prefix_sorted_with_wildcards_literal(store: Store) -> None:
    for name in ["tags:2", "tags:1", "statuses:1", "tags_x", "tagsXx"]:
        store.save_sketch(name, b"x", 0)
    assert store.sketch_names("tags:") == ["tags:1", "tags:2"]
    assert store.sketch_names("tags_") == ["tags_x"]
    assert store.sketch_names("tags%") == []
    assert store.sketch_names("") == ["statuses:1", "tags:1", "tags:2", "tagsXx", "tags_x"]
    assert store.sketch_names("nothing") == []
