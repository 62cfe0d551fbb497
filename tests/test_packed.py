import numpy as np

from transforms.packed import members, number_of, numbers_of, run_starts, span_numbers, split_by_shard, unpack


def test_numbers_of_are_stable_and_salted():
    texts = ["فقرة أولى", "", "فقرة أولى", "فقرة ثانية"]
    numbers = numbers_of(texts)
    assert numbers.dtype == np.uint64 and len(numbers) == 4
    assert numbers[0] == numbers[2] and len(set(numbers.tolist())) == 3
    assert numbers_of(texts).tolist() == numbers.tolist()
    # a salt per text: the same text under two salts gets two numbers
    salted = numbers_of(texts[:2] * 2, np.array([1, 1, 2, 2], dtype=np.uint64))
    assert salted[0] != salted[2] and salted[1] != salted[3]
    assert numbers_of(["x"], number_of("s")).tolist() == numbers_of(["x", "x"], number_of("s")).tolist()[:1]


def test_span_numbers_do_not_depend_on_where_the_run_stands():
    codes = np.frombuffer("خبر عاجل خبر عاجل خبر".encode("utf-32-le"), dtype=np.uint32)
    starts, ends = np.array([0, 9, 4, 0]), np.array([8, 17, 8, 3])  # "خبر عاجل" twice, "عاجل", "خبر"
    numbers = span_numbers(codes, starts, ends).tolist()
    assert numbers[0] == numbers[1] and len(set(numbers)) == 3
    assert span_numbers(codes[9:17], np.array([0]), np.array([8])).tolist() == numbers[:1]


def test_members_and_shards_round_trip():
    sorted_unique = np.array([2, 5, 9], dtype=np.uint64)
    assert members(np.array([1, 2, 9, 10], dtype=np.uint64), sorted_unique).tolist() == [False, True, True, False]
    assert members(np.array([1], dtype=np.uint64), sorted_unique[:0]).tolist() == [False]
    keys = np.array([7, 3, 7, 8], dtype=np.uint64)
    values = np.array([1, 2, 3, 4], dtype=np.uint32)
    shards = dict(split_by_shard(keys % np.uint64(2), keys, values))
    assert sorted(shards) == [0, 1]
    back_keys, back_values = unpack(list(shards.values()), (np.uint64, np.uint32))
    assert sorted(zip(back_keys.tolist(), back_values.tolist())) == [(3, 2), (7, 1), (7, 3), (8, 4)]
    assert run_starts(np.array([1, 1, 2, 3, 3])).tolist() == [0, 2, 3]
