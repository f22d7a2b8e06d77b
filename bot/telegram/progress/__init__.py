"""The progress feature on Telegram: registering reporters, reporting, and status.

Commands: /dangky, /toi, /thanhvien, /duyet, /thuhoi, /lienket (who may report,
`membership`); /capnhat and free-text updates with a confirmation card
(`reporting`); /tiendo, /chuabaocao, /baocao (`views`). Everything goes through
the transport-free `bot.progress.service.ProgressService` and `bot.progress.view.ProgressView`
over the Database the feature opens at start-up (`state`, `wiring`).

Use: `feature = ProgressFeature(settings, knowledge)`, build the brain with
`Brain(knowledge, progress=feature.reader)`, and pass `features=[feature]` to
`build_application` / `serve` (`bot.app.runtime.default_features` does this for `python -m bot run`).
"""

from __future__ import annotations

from bot.telegram.progress.state import (
    PROGRESS_KEY,
    LiveProgress,
    PendingStore,
    ProgressFeature,
    ProgressRuntime,
)
from bot.telegram.progress.wiring import register

__all__ = [
    "PROGRESS_KEY",
    "LiveProgress",
    "PendingStore",
    "ProgressFeature",
    "ProgressRuntime",
    "register",
]
