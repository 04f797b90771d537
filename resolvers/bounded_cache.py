"""The one least-recently-used map of the gateway, bounded in bytes as well as entries.

Counting entries is no bound on memory: 1,000 documents of 256 KB, or plans of operations with
1,500 fields, or upstream bodies of 8 MB, are gigabytes. Each entry here is put with its size in
bytes, an estimate made from what it holds (its text, its fields, its body), and the oldest go until
the whole is under ``max_bytes``. An entry larger than ``largest`` (the whole bound unless told) is
not kept at all, so that one value cannot empty the map.

Parsed documents, compiled operations, persisted queries and the response cache's process memory
all keep their entries here; what an entry is and when it goes stale is theirs to say.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

V = TypeVar("V")


class BoundedCache(Generic[V]):
    def __init__(self, max_entries: int | None, max_bytes: int, largest: int | None = None) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.largest = max_bytes if largest is None else largest
        self.bytes = 0
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._entries)

    def lookup(self, key: Hashable) -> tuple[bool, V | None]:
        """(found, value); a found entry becomes the most recently used."""
        found = self._entries.get(key)
        if found is None:
            return False, None
        self._entries.move_to_end(key)
        return True, found[0]

    def put(self, key: Hashable, value: V, size: int) -> None:
        """Keep ``value`` as the most recently used, then drop the oldest until both bounds hold."""
        if size > self.largest:
            return
        self.forget(key)
        self._entries[key] = (value, size)
        self.bytes += size
        while (self.max_entries is not None and len(self._entries) > self.max_entries) or (
            self.bytes > self.max_bytes
        ):
            _, (_, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped

    def forget(self, key: Hashable) -> None:
        previous = self._entries.pop(key, None)
        if previous is not None:
            self.bytes -= previous[1]

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0

    def get(self, key: Hashable, make: Callable[[], V], size: Callable[[V], int]) -> V:
        """The value kept for ``key``, else ``make()``'s, kept with ``size`` of it."""
        found, value = self.lookup(key)
        if found:
            return value  # type: ignore[return-value]
        made = make()
        self.put(key, made, size(made))
        return made
