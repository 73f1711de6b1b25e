"""The command bus hands each command to its one handler, with the dependencies it names."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from silta_platform.handlers import Command, CommandBus, inject


@dataclass(frozen=True)
class Greet(Command[str]):
    name: str


@dataclass(frozen=True)
class Shout(Command[str]):
    name: str


async def greet(command: Greet, greeting: str) -> str:
    return f"{greeting}, {command.name}"


async def shout(command: Shout, greeting: str, punctuation: str) -> str:
    return f"{greeting.upper()}, {command.name.upper()}{punctuation}"


async def test_each_command_reaches_its_handler_with_what_the_handler_names() -> None:
    bus = CommandBus(
        {Greet: greet, Shout: shout},
        {"greeting": "Hei", "punctuation": "!", "unused": object()},
    )
    assert await bus.handle(Greet("Aino")) == "Hei, Aino"
    assert await bus.handle(Shout("Aino")) == "HEI, AINO!"


async def test_a_command_without_a_handler_is_a_programming_error() -> None:
    bus = CommandBus({Greet: greet}, {"greeting": "Hei"})
    with pytest.raises(LookupError, match="Shout"):
        await bus.handle(Shout("Aino"))


async def test_inject_leaves_the_parameters_it_has_no_value_for() -> None:
    handler = inject(shout, {"greeting": "Moi", "punctuation": "?"})
    assert await handler(Shout("Eino")) == "MOI, EINO?"
