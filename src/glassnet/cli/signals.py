"""Ctrl-C (SIGINT) and SIGTERM during ``glassnet train``: stop cleanly, save, say how to resume.

Python's own handling raises ``KeyboardInterrupt`` wherever the main thread happens to be,
and does so again for a second Ctrl-C, even inside the ``except`` block that is saving the
checkpoint, so that two quick presses lose the whole run; SIGTERM kills the process without
a word. :class:`StopOnSignal` replaces both handlers while the command runs:

- the first signal stops training at the end of the current step (or, outside training, at
  once), as :class:`Interrupted`, which carries the signal and the exit status a shell
  expects for it (128 + its number: 130 for SIGINT, 143 for SIGTERM);
- every later one is only recorded, so nothing interrupts the checkpoint being written.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import FrameType, TracebackType
from typing import Any

from ..training import Callback, TrainingState

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """The command was stopped by the signal ``signum``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def name(self) -> str:
        """``"SIGINT"`` or ``"SIGTERM"``."""
        return signal.Signals(self.signum).name

    @property
    def exit_status(self) -> int:
        """``128 + signum``, as a shell reports a program that a signal stopped."""
        return 128 + self.signum


def interrupted(exc: KeyboardInterrupt) -> Interrupted:
    """``exc`` as :class:`Interrupted`: a plain ``KeyboardInterrupt`` (raised by Python's
    own handler, outside the main thread's handlers) is a SIGINT."""
    return exc if isinstance(exc, Interrupted) else Interrupted(signal.SIGINT)


class StopOnSignal(Callback):
    """SIGINT and SIGTERM handlers for the life of a command (a context manager), and the
    training callback that stops at the end of a step once one has come.

    Handlers can only be set in the main thread; elsewhere this does nothing, and Python's
    own ``KeyboardInterrupt`` is what the command sees.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        """The first signal's number, once one has come."""
        self.later: list[int] = []
        """The signals that came after it, recorded and otherwise ignored."""
        self._training = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for signum, handler in self._previous.items():
            # Once a signal has come the command is ending with its status; a later one
            # must not turn that into a traceback or a death by signal (Python resets its
            # handlers to the defaults while it shuts down, but leaves "ignore" as it is).
            signal.signal(signum, handler if self.received is None else signal.SIG_IGN)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is not None:
            self.later.append(signum)
            return
        self.received = signum
        if not self._training:
            raise Interrupted(signum)

    @contextmanager
    def training(self) -> Iterator[None]:
        """While training runs, the first signal waits for the end of the current step,
        where :meth:`on_batch_end` raises it; one that came too late for the last step
        is raised on the way out."""
        self._training = True
        try:
            yield
        finally:
            self._training = False
        self._raise_if_received()

    def on_batch_end(self, state: TrainingState, logs: Mapping[str, float]) -> None:
        self._raise_if_received()

    def on_epoch_end(self, state: TrainingState, logs: Mapping[str, float]) -> None:
        self._raise_if_received()

    def _raise_if_received(self) -> None:
        if self.received is not None:
            raise Interrupted(self.received)
