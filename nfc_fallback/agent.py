"""The reader agent: a reader backend in the main thread, the uploader in a second one, both
sharing the journal file (one SQLite connection each).

Order of things for a touch: read → stored in the journal (committed, fsynced) → printed →
the uploader is woken.  Nothing is printed or sent for a touch that is not stored yet.
SIGTERM and SIGINT stop both loops cleanly; a kill -9 loses nothing that was printed.
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from nfc_fallback.backends import ReaderBackend, ReaderError
from nfc_fallback.clock import ClockProbe, read_boot_id
from nfc_fallback.console import Console
from nfc_fallback.journal import Journal, JournalLocked
from nfc_fallback.touch import Touch
from nfc_fallback.uploader import Backoff, TouchClient, Uploader, UploaderOptions


@dataclass
class AgentConfig:
    journal_path: Path
    server: str
    token: str
    clock_override: bool | None = None
    retry_base_s: float = 5.0
    retry_cap_s: float = 3 * 3600.0
    uploader: UploaderOptions = field(default_factory=UploaderOptions)


class Agent:
    def __init__(self, backend: ReaderBackend, config: AgentConfig, console: Console) -> None:
        self.backend = backend
        self.config = config
        self.console = console
        self.clock = ClockProbe(config.clock_override)
        self.boot_id = read_boot_id()
        self.stop = threading.Event()
        self.wake = threading.Event()
        self._journal: Journal | None = None

    def run(self) -> int:
        """Returns the process exit code: 0 after a signal, 1 if the reader or the journal
        cannot be used."""
        try:
            journal = Journal(self.config.journal_path)
            journal.lock()
        except (JournalLocked, OSError) as exc:
            self.console.error(str(exc))
            return 1
        self._journal = journal
        uploader = Uploader(
            Journal(self.config.journal_path),
            TouchClient(self.config.server, self.config.token),
            self.console,
            self.clock,
            self.boot_id,
            backoff=Backoff(self.config.retry_base_s, self.config.retry_cap_s),
            options=self.config.uploader,
        )
        thread = threading.Thread(
            target=uploader.run, args=(self.stop, self.wake), name="uploader", daemon=True
        )
        self._install_signals()
        self.console.started(
            self.backend.description,
            str(self.config.journal_path),
            uploader.client.url,
            journal.device_id,
        )
        thread.start()
        code = 0
        try:
            self.backend.run(self.on_touch, self.stop)
            self.stop.wait()  # input ended (stdin): keep uploading until told to stop
        except ReaderError as exc:
            self.console.error(str(exc))
            code = 1
        finally:
            self.stop.set()
            self.wake.set()
            thread.join()
            uploader.journal.close()
            journal.close()
        return code

    def on_touch(self, touch: Touch) -> None:
        assert self._journal is not None
        entry = self._journal.append(touch, self.boot_id, self.clock.state().synced)
        self.console.touch(entry)
        self.wake.set()

    def _install_signals(self) -> None:
        def handler(_signum: int, _frame: FrameType | None) -> None:
            self.stop.set()
            self.wake.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
