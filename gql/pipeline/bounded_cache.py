"""A least-recently-used map bounded in bytes as well as entries.

Counting entries is no bound on memory: 1,000 documents of 256 KB, or plans of operations with
1,500 fields, or estimates keyed by 200 KB of variables, are gigabytes. Each entry here is put with
its size in bytes, an estimate made from what it holds (its text, its fields), and the oldest go
until the whole is under ``max_bytes``. An entry larger than the bound is not kept at all.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class BoundedCache(Generic[V]):
    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, key: Hashable) -> tuple[bool, V | None]:
        """(found, value); a found entry becomes the most recently used."""
        found = self._entries.get(key)
        if found is None:
            return False, None
        self._entries.move_to_end(key)
        return True, found[0]

    def put(self, key: Hashable, value: V, size: int) -> None:
        if size > self.max_bytes:
            return
        previous = self._entries.pop(key, None)
        if previous is not None:
            self.bytes -= previous[1]
        self._entries[key] = (value, size)
        self.bytes += size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped

    def get(self, key: Hashable, make: Callable[[], V], size: Callable[[V], int]) -> V:
        """The value kept for ``key``, else ``make()``'s, kept with ``size`` of it."""
        found, value = self.lookup(key)
        if found:
            return value  # type: ignore[return-value]
        made = make()
        self.put(key, made, size(made))
        return made
