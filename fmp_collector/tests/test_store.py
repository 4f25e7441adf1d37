"""The store-and-forward queue: bounded, counted, oldest first, batch ids that survive a crash."""

from __future__ import annotations

import json

from fmp_collector import protocol
from fmp_collector.store import Store


def item(n: int, *, size: int = 0) -> dict:
    return {"device": n, "at": 1764590000.0 + n, "observation": {"reachable": True, "error": "x" * size}}


def test_a_full_queue_drops_the_oldest_results_and_counts_them(tmp_path):
    with Store(tmp_path, queue_max=3) as store:
        dropped = [store.add("observation", item(n)) for n in range(5)]
        assert dropped == [0, 0, 0, 1, 1]
        assert store.depth() == 3
        assert store.dropped == 2
        batch = store.next_batch()
        assert [o["device"] for o in batch.observations] == [2, 3, 4]  # the newest kept, in order
    with Store(tmp_path, queue_max=3) as store:  # the count is stored, not in memory
        assert store.dropped == 2


def test_batches_go_oldest_first_within_the_protocol_limits(tmp_path):
    with Store(tmp_path) as store:
        for n in range(1200):
            store.add("observation", item(n))
        store.add("discovered", {"host": "10.0.0.9", "at": 1.0, "observation": {}})
        first = store.next_batch()
        assert len(first) == protocol.MAX_BATCH
        assert [o["device"] for o in first.observations] == list(range(500))
        store.acknowledge(first.batch)
        second = store.next_batch()
        assert second.batch != first.batch
        assert second.observations[0]["device"] == 500
        store.acknowledge(second.batch)
        third = store.next_batch()
        assert len(third.observations) == 200 and third.discovered[0]["host"] == "10.0.0.9"
        body = json.loads(third.body())
        assert set(body) == {"batch", "observations", "discovered"}


def test_a_batch_never_exceeds_the_body_limit(tmp_path):
    with Store(tmp_path) as store:
        for n in range(30):
            store.add("observation", item(n, size=100_000))  # ~100 kB each
        batch = store.next_batch()
        assert len(batch.body()) <= protocol.MAX_BODY
        assert 15 <= len(batch) < 30


def test_the_batch_id_is_committed_before_sending_and_reused_after_a_crash(tmp_path):
    with Store(tmp_path) as store:
        for n in range(3):
            store.add("observation", item(n))
        batch = store.next_batch()
    # The collector is killed here, mid-upload: nothing acknowledged.
    with Store(tmp_path) as store:
        store.add("observation", item(3))
        again = store.next_batch()
        assert again.batch == batch.batch
        assert again.ids == batch.ids and again.body() == batch.body()
        assert store.acknowledge(batch.batch) == 3
        rest = store.next_batch()
        assert rest.batch != batch.batch and [o["device"] for o in rest.observations] == [3]


def test_a_refused_batch_is_kept_apart_and_never_sent_again(tmp_path):
    with Store(tmp_path) as store:
        for n in range(2):
            store.add("observation", item(n))
        batch = store.next_batch()
        assert store.refuse(batch.batch, 400, "invalid: observation 0: bad") == 2
        assert store.depth() == 0 and store.next_batch() is None
        assert store.refused_count == 2
        kept = store.refused()
        assert [r["item"]["device"] for r in kept] == [0, 1]
        assert kept[0]["status"] == 400 and "observation 0" in kept[0]["reason"]


def test_a_batch_given_back_is_sent_again_in_smaller_pieces(tmp_path):
    with Store(tmp_path) as store:
        for n in range(4):
            store.add("observation", item(n))
        batch = store.next_batch()
        store.release(batch.batch)
        half = store.next_batch(max_items=2)
        assert half.batch != batch.batch and [o["device"] for o in half.observations] == [0, 1]


def _refuse_one(store: Store, n: int, *, now: float, keep: int | None = None) -> None:
    store.add("observation", item(n))
    batch = store.next_batch(max_items=1)
    kwargs = {} if keep is None else {"keep": keep}
    assert store.refuse(batch.batch, 400, "invalid: bad", now=now, **kwargs) == 1


def test_the_refused_table_keeps_only_the_newest_rows_but_counts_them_all(tmp_path):
    now = 1764590000.0
    with Store(tmp_path) as store:
        for n in range(12):
            _refuse_one(store, n, now=now + n, keep=5)
        assert store.refused_kept() == 5
        assert [r["item"]["device"] for r in store.refused()] == [7, 8, 9, 10, 11]  # the newest
        assert store.refused_count == 12
    with Store(tmp_path) as store:  # the count survives a restart
        assert store.refused_count == 12


def test_refused_rows_older_than_30_days_are_forgotten(tmp_path):
    day = 86400.0
    now = 1764590000.0
    with Store(tmp_path) as store:
        _refuse_one(store, 1, now=now - 40 * day)
        _refuse_one(store, 2, now=now - 10 * day)
        _refuse_one(store, 3, now=now)
        assert [r["item"]["device"] for r in store.refused()] == [2, 3]
        assert store.refused_count == 3


def test_the_default_bound_is_ten_thousand_rows(tmp_path):
    from fmp_collector import store as store_module

    assert store_module.REFUSED_KEEP == 10_000
    assert store_module.REFUSED_DAYS == 30


def test_a_store_from_before_the_counter_counts_what_it_kept(tmp_path):
    with Store(tmp_path) as store:
        _refuse_one(store, 1, now=1764590000.0)
        _refuse_one(store, 2, now=1764590001.0)
        store.db.execute("DELETE FROM meta WHERE key = 'refused'")
    with Store(tmp_path) as store:
        assert store.refused_count == 2
