"""Hypothesis strategies for any protocol struct, derived from its msgspec type info.

Deriving them (rather than writing one per type) means a field added to a request,
reply or event is exercised by the round-trip tests without touching them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec
import msgspec.inspect as mi
from hypothesis import strategies as st

#: Strings longer than this are rare in tests: long enough to cross the id limit (64).
LONGEST_STRING = 80
INT64_MAX = 2**63 - 1


def _strings(info: mi.StrType) -> st.SearchStrategy[str]:
    assert info.pattern is None, "no protocol string has a pattern yet"
    low = info.min_length or 0
    high = info.max_length if info.max_length is not None else LONGEST_STRING
    return st.text(min_size=low, max_size=min(high, max(low, LONGEST_STRING)))


def _ints(info: mi.IntType) -> st.SearchStrategy[int]:
    low = info.ge if info.ge is not None else (info.gt + 1 if info.gt is not None else None)
    high = info.le if info.le is not None else (info.lt - 1 if info.lt is not None else None)
    return st.integers(
        min_value=-INT64_MAX if low is None else low,
        max_value=INT64_MAX if high is None else high,
    )


def for_info(info: mi.Type) -> st.SearchStrategy[Any]:
    if isinstance(info, mi.StrType):
        return _strings(info)
    if isinstance(info, mi.IntType):
        return _ints(info)
    if isinstance(info, mi.FloatType):
        return st.floats(allow_nan=False, allow_infinity=False)
    if isinstance(info, mi.BoolType):
        return st.booleans()
    if isinstance(info, mi.NoneType):
        return st.none()
    if isinstance(info, mi.LiteralType):
        return st.sampled_from(info.values)
    if isinstance(info, mi.UnionType):
        return st.one_of([for_info(t) for t in info.types])
    if isinstance(info, mi.ListType):
        return st.lists(for_info(info.item_type), max_size=3)
    if isinstance(info, mi.TupleType):
        return st.tuples(*(for_info(t) for t in info.item_types))
    if isinstance(info, mi.DictType):
        return st.dictionaries(for_info(info.key_type), for_info(info.value_type), max_size=3)
    if isinstance(info, mi.StructType):
        return for_struct(info.cls)
    raise NotImplementedError(f"no strategy for {info!r}")


@cache
def for_struct(cls: type[msgspec.Struct]) -> st.SearchStrategy[Any]:
    """Any valid instance of `cls`: every field filled within its declared limits."""
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    return st.builds(cls, **{field.name: for_info(field.type) for field in info.fields})


def field_names(cls: type[msgspec.Struct]) -> set[str]:
    """The JSON keys of `cls`, its tag field included."""
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    names = {field.encode_name for field in info.fields}
    if info.tag_field is not None:
        names.add(info.tag_field)
    return names
