"""The fan-out consumer runs apart from the timeline reads, over any `TimelineStore`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reference_app.conftest import make_settings
from twitterdesign.reference_app.services import FanoutWorker, Services, TimelineService
from twitterdesign.reference_app.storage import InProcessTimelineStore, Page
from twitterdesign.timeline import HybridThreshold


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Services]:
    services = Services(make_settings(tmp_path, fanout_threshold=1))
    yield services
    services.close()


def test_a_separate_consumer_fills_a_store_another_reader_reads(app: Services) -> None:
    """What a cluster does: the worker and the reader share only the timeline store."""
    shared = InProcessTimelineStore(800, inactive_after_s=3600.0)
    worker = FanoutWorker(app.store, shared, policy=HybridThreshold(1))
    reader = TimelineService(app.store, shared, threshold=1, fanout=worker)
    ada, bob, cy = (app.accounts.register(n, f"{n}@example.org", "correct horse") for n in "abc")
    app.graph.follow(bob.id, ada.id)
    assert reader.home_ids(bob.id, Page(limit=20)) == []  # bob is active from now on
    delivered: list[tuple[int, int]] = []
    worker.on_delivered = lambda status_id, n: delivered.append((status_id, n))
    first = app.statuses.create(ada.id, "one follower: pushed")
    worker.start()
    try:
        assert worker.wait_idle(10.0)
        assert worker.queue_depth == 0
        assert delivered == [(first.id, 1)]
        assert shared.read(bob.id, limit=5) == [first.id]
        # Two followers: ada is a celebrity now; her next status is pulled, not pushed.
        app.graph.follow(cy.id, ada.id)
        second = app.statuses.create(ada.id, "two followers: pulled")
        assert worker.wait_idle(10.0)
        assert ada.id in shared.pulled_authors()
        assert second.id not in shared.read(bob.id, limit=5)
        assert reader.home_ids(bob.id, Page(limit=20)) == [second.id, first.id]
        assert reader.stats().statuses_pushed == 1
        assert reader.stats().statuses_pulled == 1
    finally:
        worker.stop()


def test_a_follow_drops_the_followers_timeline(app: Services) -> None:
    ada, bob = (app.accounts.register(n, f"{n}@example.org", "correct horse") for n in "ab")
    app.timelines.home_ids(bob.id, Page(limit=20))
    status = app.statuses.create(ada.id, "before the follow")
    app.graph.follow(bob.id, ada.id)  # logged; the consumer drops bob's timeline
    assert app.timelines.wait_idle(10.0)
    assert app.timeline_store.claim_rebuild(bob.id)  # dropped: a rebuild is due
    app.timeline_store.drop(bob.id)  # hand the rebuild back to the reader
    assert app.timelines.home_ids(bob.id, Page(limit=20)) == [status.id]
