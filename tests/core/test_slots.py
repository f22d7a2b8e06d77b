"""A handler waiting for the disk gives its slot to the next update (bot/core/slots.py)."""

from __future__ import annotations

import asyncio

from bot.core.slots import Slot, holding, waiting_elsewhere


async def test_a_task_waiting_for_a_commit_lets_another_one_run_in_its_slot() -> None:
    slots = asyncio.Semaphore(1)
    committed = asyncio.Event()
    order: list[str] = []

    async def report() -> None:
        async with holding(Slot(slots)):
            order.append("report writes")
            async with waiting_elsewhere():
                await committed.wait()  # the writer thread commits meanwhile
            order.append("report answers")

    async def question() -> None:
        async with holding(Slot(slots)):
            order.append("question answered")

    writer = asyncio.create_task(report())
    await asyncio.sleep(0)
    await asyncio.wait_for(question(), 1)  # would wait for the commit without the hand-back
    committed.set()
    await writer
    assert order == ["report writes", "question answered", "report answers"]
    assert not slots.locked()


async def test_without_a_slot_waiting_elsewhere_changes_nothing() -> None:
    async with waiting_elsewhere():
        pass


async def test_a_task_cancelled_while_taking_its_slot_back_never_frees_two() -> None:
    slots = asyncio.Semaphore(1)
    released = asyncio.Event()

    async def waits() -> None:
        async with holding(Slot(slots)), waiting_elsewhere():
            released.set()
            await asyncio.sleep(0)

    async def hog() -> None:
        await released.wait()
        async with holding(Slot(slots)):
            await asyncio.sleep(0.05)

    hogging = asyncio.create_task(hog())
    task = asyncio.create_task(waits())
    await released.wait()
    await asyncio.sleep(0.01)  # `waits` now wants its slot back, which `hog` holds
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await hogging
    assert slots._value == 1  # one slot, as at the start
