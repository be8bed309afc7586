"""A batch is sorted out through a fast path that takes a reading whose parts the rules
have already found good. It must take exactly what the rules take: for any batch, the
result equals judging every reading alone, rejections and their wording included."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from iot.services.ingestion import Judge, readings_sorted_out

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
DEVICES = {"PUMP-1": 1, "PUMP-2": 2}


def fresh_judge(only_device: str | None) -> Judge:
    return Judge(
        dict(DEVICES),
        only_device=only_device,
        latest=NOW + timedelta(minutes=5),
        earliest=NOW - timedelta(days=30),
    )


# Few distinct values, so readings repeat each other's parts and take the fast path.
odd = st.one_of(st.none(), st.integers(), st.booleans(), st.lists(st.integers(), max_size=1))
good_stamps = [NOW - timedelta(minutes=1), NOW - timedelta(minutes=2)]
good = st.fixed_dictionaries(
    {
        "device_id": st.sampled_from(["PUMP-1", "PUMP-2"]),
        "metric": st.sampled_from(["temperature", " temperature ", "pressure", "é"]),
        "value": st.sampled_from([1.5, 2, -3.25, 0, 999_999_999_999.9]),
        "timestamp": st.sampled_from([*map(datetime.isoformat, good_stamps), "2026-06-01T11:59"]),
    },
    optional={"unit": st.sampled_from(["C", "", "bar"])},
)
# Anything a field may hold, good or bad.
wild = {
    "device_id": st.sampled_from(["NOPE", ""]) | odd,
    "metric": st.sampled_from(["", "   ", "x" * 65, "t\x00", "\ud800"]) | odd,
    "unit": st.sampled_from(["u" * 33, "\x00", "\udfff"]) | odd,
    "value": st.one_of(
        st.sampled_from([1e12, -1e12, 1e12 - 1, 10**12, 10**400]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(10**400), max_value=10**400),
        st.booleans(),
        st.none(),
        st.text(max_size=2),
    ),
    "timestamp": st.sampled_from(
        [
            (NOW + timedelta(minutes=10)).isoformat(),
            (NOW - timedelta(days=40)).isoformat(),
            "yesterday",
            "1" * 41,
        ]
    )
    | odd,
}


@st.composite
def batches(draw: st.DrawFn) -> list:
    """Good readings, and copies of earlier ones with one thing changed (a field's value,
    a field gone, one more): the copy's other parts are known good, so it meets the fast
    path with its one wrong part. Some items are no reading at all."""
    batch: list = []
    for _ in range(draw(st.integers(min_value=1, max_value=40))):
        kind = draw(st.sampled_from(["good", "changed", "changed", "junk"]))
        earlier = [item for item in batch if isinstance(item, dict)]
        if kind == "junk":
            batch.append(draw(st.sampled_from(["a reading", 7, None]) | odd))
        elif kind == "good" or not earlier:
            batch.append(draw(good))
        else:
            reading = dict(draw(st.sampled_from(earlier)))
            change = draw(st.sampled_from([*wild, "drop", "extra"]))
            if change == "drop" and reading:
                reading.pop(draw(st.sampled_from(sorted(reading))))
            elif change == "extra":
                reading["colour"] = "red"
            elif change in wild:
                reading[change] = draw(wild[change])
            batch.append(reading)
    return batch


@given(batches(), st.sampled_from([None, "PUMP-1"]))
@settings(max_examples=400, deadline=None)
def test_the_fast_path_takes_exactly_what_the_rules_take(batch, only_device):
    rules = fresh_judge(only_device)
    rows, rejected, accepted = {}, [], 0
    for index, item in enumerate(batch):
        error, row = rules.judge(item)
        if row is None:
            rejected.append({"index": index, "error": error})
        else:
            rows[row[:3]] = row
            accepted += 1

    assert readings_sorted_out(batch, fresh_judge(only_device)) == (rows, rejected, accepted)
