"""The lifecycle mechanism, configured by data: no Assistants names in the mechanism itself."""

from __future__ import annotations

from recorder.profiles.assistants import ENCLOSURES, LIFECYCLES
from recorder.validate.lifecycle import Enclosure, LifecycleSpec, LifecycleTracker

# A made-up profile (Responses-like names) to show a new profile only adds data.
ITEM = LifecycleSpec(
    "item",
    created="item.added",
    progress=frozenset({"item.in_progress"}),
    deltas=frozenset({"item.text.delta"}),
    terminal=frozenset({"item.done", "item.failed"}),
    order_rule="X1",
    once_rule="X2",
    interleave_rule="X3",
)
PART = LifecycleSpec(
    "part",
    created="part.added",
    deltas=frozenset({"part.delta"}),
    terminal=frozenset({"part.done"}),
    order_rule="Y1",
    once_rule="Y2",
)
HOLDS = Enclosure("item", "part", ("part_id",), "Z1")


def rules(
    tracker: LifecycleTracker, events: list[tuple[str, str, dict[str, str] | None]]
) -> list[tuple[int, str]]:
    found = []
    for index, (name, key, payload) in enumerate(events):
        found += [(index, v.rule) for v in tracker.observe(name, key, index, payload)]
    return found


def test_a_clean_lifecycle_passes() -> None:
    tracker = LifecycleTracker([ITEM, PART], [HOLDS])
    assert (
        rules(
            tracker,
            [
                ("item.added", "i1", {"part_id": "p1"}),
                ("item.in_progress", "i1", None),
                ("part.added", "p1", None),
                ("part.delta", "p1", None),
                ("item.text.delta", "i1", None),
                ("part.done", "p1", None),
                ("item.done", "i1", None),
                ("item.added", "i2", None),
                ("item.done", "i2", None),
            ],
        )
        == []
    )
    assert tracker.open_keys("item") == []


def test_deltas_must_fall_between_created_and_terminal() -> None:
    tracker = LifecycleTracker([ITEM])
    assert rules(
        tracker,
        [
            ("item.text.delta", "i1", None),  # before created
            ("item.added", "i1", None),
            ("item.done", "i1", None),
            ("item.text.delta", "i1", None),  # after done
            ("item.in_progress", "i1", None),
        ],
    ) == [(0, "X1"), (3, "X1"), (4, "X1")]


def test_created_after_an_early_terminal_is_out_of_order_not_twice() -> None:
    tracker = LifecycleTracker([ITEM])
    events = [("item.done", "i1", None), ("item.added", "i1", None)]
    found = [(i, tracker.observe(name, key, i)) for i, (name, key, _) in enumerate(events)]
    assert [(i, v.rule) for i, vs in found for v in vs] == [(0, "X1"), (1, "X1")]
    assert found[1][1][0].message == "item.added for item i1 after it ended (item.done at event 0)"


def test_once_rules_and_interleaving() -> None:
    tracker = LifecycleTracker([ITEM])
    assert rules(
        tracker,
        [
            ("item.added", "i1", None),
            ("item.added", "i2", None),  # i1 still open: interleaved
            ("item.done", "i1", None),
            ("item.failed", "i1", None),  # second terminal
            ("item.added", "i1", None),  # created twice
        ],
    ) == [(1, "X3"), (3, "X2"), (4, "X2")]


def test_interleaving_is_allowed_unless_asked() -> None:
    tracker = LifecycleTracker([PART])
    assert (
        rules(
            tracker,
            [
                ("part.added", "a", None),
                ("part.added", "b", None),
                ("part.done", "a", None),
                ("part.done", "b", None),
            ],
        )
        == []
    )


def test_enclosure_both_ends() -> None:
    late = LifecycleTracker([ITEM, PART], [HOLDS])
    assert rules(
        late,
        [
            ("item.added", "i1", {"part_id": "p1"}),
            ("item.done", "i1", None),
            ("part.added", "p1", None),  # after its enclosing item ended
        ],
    ) == [(2, "Z1")]
    early_end = LifecycleTracker([ITEM, PART], [HOLDS])
    assert rules(
        early_end,
        [
            ("item.added", "i1", {"part_id": "p1"}),
            ("part.added", "p1", None),
            ("item.done", "i1", None),  # the part is still open
        ],
    ) == [(2, "Z1")]
    before = LifecycleTracker([ITEM, PART], [HOLDS])
    assert rules(
        before,
        [
            ("part.added", "p1", None),
            ("item.added", "i1", {"part_id": "p1"}),  # created after what it encloses
        ],
    ) == [(1, "Z1")]


def test_adopted_objects_continue_from_an_earlier_stream() -> None:
    tracker = LifecycleTracker([ITEM])
    tracker.adopt("item", "i1")
    assert tracker.is_open("item", "i1") and tracker.created_index("item", "i1") == -1
    assert rules(tracker, [("item.done", "i1", None)]) == []
    assert not tracker.is_open("item", "i1")


def test_unknown_events_and_missing_keys_pass() -> None:
    tracker = LifecycleTracker([ITEM])
    assert not tracker.handles("other")
    assert tracker.observe("other", "x", 0) == ()
    assert tracker.observe("item.done", None, 0) == ()


def test_the_assistants_message_lifecycle_is_the_missions_example() -> None:
    tracker = LifecycleTracker(LIFECYCLES, ENCLOSURES)
    found = rules(
        tracker,
        [
            (
                "thread.run.step.created",
                "s1",
                {"step_details": {"message_creation": {"message_id": "m1"}}},
            ),
            ("thread.message.created", "m1", None),
            ("thread.message.delta", "m1", None),
            ("thread.message.completed", "m1", None),
            ("thread.message.delta", "m1", None),
            ("thread.run.step.completed", "s1", None),
        ],
    )
    assert found == [(4, "M1")]
