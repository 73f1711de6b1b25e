"""New ids begin with their creation time, so stored rows keyed by them go to the end of
their indexes (``silta_schemas.ids``), and remain unguessable."""

import time

from silta_schemas.ids import new_id


def test_an_id_is_a_version_7_uuid_holding_its_creation_time() -> None:
    before = int(time.time() * 1000)
    made = new_id()
    after = int(time.time() * 1000)
    assert made.version == 7
    assert made.variant == "specified in RFC 4122"
    assert before <= made.int >> 80 <= after  # the first 48 bits: Unix time in milliseconds


def test_ids_made_later_sort_after_earlier_ones() -> None:
    made = []
    for _ in range(5):
        made.append(new_id())
        time.sleep(0.002)
    assert made == sorted(made)
    assert [str(i) for i in made] == sorted(str(i) for i in made)  # as stored: text


def test_ids_of_one_millisecond_differ_in_their_random_bits() -> None:
    made = {new_id() for _ in range(10_000)}
    assert len(made) == 10_000
    low_bits = {i.int & ((1 << 62) - 1) for i in made}
    assert len(low_bits) == 10_000  # 62 random bits each, not a counter alone
