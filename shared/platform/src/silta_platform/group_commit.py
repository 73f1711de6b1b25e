"""Group commit: concurrent callers' writes share one transaction.

Every caller hands its item to :meth:`GroupCommit.submit` and waits. One writer task takes
everything waiting, writes it with ONE call of the write function in ONE transaction
(multi-row statements, one commit) and gives each caller its own outcome: a result, or an
exception the write function chose for that item alone (e.g. a duplicate), which does not
affect the others. While one group commits, the next one gathers; under load a group is as
large as the number of callers waiting, when idle it is one item and costs nothing extra.

If the transaction of a group fails as a whole (an ``IntegrityError`` from a concurrent
writer elsewhere, a lost connection ...), its items are written again one by one, each in
its own transaction, so only the item that caused the failure fails, with its own error,
exactly as if it had been written alone.

A caller cancelled before its group was taken is left out; one cancelled later is written
all the same (as a request cancelled after its commit would be).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

WriteGroup = Callable[[AsyncConnection, Sequence[Item]], Awaitable[Sequence[Result | Exception]]]
"""Writes a group inside the open transaction; one outcome per item, in order. An item
whose outcome is an exception must have written nothing; raising fails the whole group."""

DEFAULT_MAX_GROUP = 200


class GroupCommit(Generic[Item, Result]):
    def __init__(
        self,
        engine: AsyncEngine,
        write: WriteGroup[Item, Result],
        *,
        max_group: int = DEFAULT_MAX_GROUP,
    ) -> None:
        # Weakly: ``per_engine`` keys its groups weakly by engine, which a strong reference
        # from the value would keep alive for ever.
        self._engine = weakref.ref(engine)
        self._write = write
        self._max_group = max_group
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        """Write ``item`` together with whatever else is waiting; its result, or raise."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="group-commit")
        return await future

    async def _write_all(self) -> None:
        group: list[tuple[Item, asyncio.Future[Result]]] = []
        try:
            while self._waiting:
                taken = self._waiting[: self._max_group]
                del self._waiting[: self._max_group]
                group = [(item, future) for item, future in taken if not future.done()]
                if group:
                    await self._commit(group)
                group = []
        except BaseException as error:  # cancelled at shutdown: nobody may wait for ever
            for _, future in group + self._waiting:
                if not future.done():
                    future.set_exception(RuntimeError(f"group commit stopped: {error!r}"))
            self._waiting.clear()
            raise

    async def _commit(self, group: Sequence[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            engine = self._engine()
            if engine is None:
                raise RuntimeError("the engine is gone")
            async with engine.begin() as conn:
                outcomes = await self._write(conn, [item for item, _ in group])
                if len(outcomes) != len(group):
                    raise RuntimeError(
                        f"group write returned {len(outcomes)} outcomes for {len(group)} items"
                    )
        except Exception as error:
            if len(group) == 1:
                _settle(group[0][1], error)
                return
            log.info("a group of %d failed (%s); writing one by one", len(group), error)
            for entry in group:
                await self._commit([entry])
            return
        for (_, future), outcome in zip(group, outcomes, strict=True):
            _settle(future, outcome)


def _settle(future: asyncio.Future[Result], outcome: Result | Exception) -> None:
    if future.done():
        return  # the caller was cancelled meanwhile
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def per_engine(
    write: WriteGroup[Item, Result], *, max_group: int = DEFAULT_MAX_GROUP
) -> Callable[[AsyncEngine], GroupCommit[Item, Result]]:
    """One :class:`GroupCommit` of ``write`` per engine (an engine lives in one event loop),
    created when first asked for and gone with its engine."""
    groups: weakref.WeakKeyDictionary[AsyncEngine, GroupCommit[Item, Result]] = (
        weakref.WeakKeyDictionary()
    )

    def for_engine(engine: AsyncEngine) -> GroupCommit[Item, Result]:
        group = groups.get(engine)
        if group is None:
            group = groups[engine] = GroupCommit(engine, write, max_group=max_group)
        return group

    return for_engine
