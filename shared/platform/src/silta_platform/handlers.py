"""One handler per command and per incoming message kind, with their dependencies injected.

A service's bootstrap lists its handlers in two tables, commands (what its HTTP API asks
for) and message kinds (what its consumer takes), and names the dependencies they may ask
for. Each handler is a plain async function; it asks for a dependency by naming it as a
parameter (``transactions``, ``settings``...), so it is tested by calling it with what it
needs. The HTTP entry points only turn a request into a command and hand it to the
:class:`CommandBus`; the consumer hands each batch to the message handlers.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel
from silta_messaging.incoming import Incoming

Result = TypeVar("Result")
Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])
Payload = TypeVar("Payload", bound=BaseModel)


class Command(Generic[Result]):
    """Something a caller asks a service to do; ``Result`` is what its handler answers.

    Subclass as a frozen dataclass: ``class CancelReferral(Command[ReferralRecord])``."""


def inject(handler: Callable[..., Awaitable[Any]], dependencies: Mapping[str, object]) -> Any:
    """``handler`` with the dependencies its parameters name bound; the rest (the command,
    or the unit of work and the messages) stay for the caller."""
    wanted = inspect.signature(handler).parameters
    given = {name: value for name, value in dependencies.items() if name in wanted}
    return functools.partial(handler, **given) if given else handler


class CommandBus:
    """Hands each command to its one handler."""

    def __init__(
        self,
        handlers: Mapping[type[Command[Any]], Callable[..., Awaitable[Any]]],
        dependencies: Mapping[str, object],
    ) -> None:
        self._handlers = {
            command: inject(handler, dependencies) for command, handler in handlers.items()
        }

    async def handle(self, command: Command[Result]) -> Result:
        handler = self._handlers.get(type(command))
        if handler is None:  # a programming error: every command has its line in the table
            raise LookupError(f"no handler for {type(command).__name__}")
        return cast(Result, await handler(command))


def payload_of(message: Incoming, kind: type[Payload]) -> Payload:
    """``message``'s payload as ``kind``, the model of the message kind its handler is
    registered for (the consumer opened it as that kind: anything else is a wiring error)."""
    payload = message.payload
    if not isinstance(payload, kind):
        raise TypeError(f"a {type(payload).__name__} handed to the handler of {kind.__name__}")
    return payload
