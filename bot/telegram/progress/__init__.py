"""The progress feature on Telegram: registering reporters, reporting, and status.

Commands: /dangky, /toi, /thanhvien, /duyet, /thuhoi, /lienket (who may report,
`membership`); /capnhat and free-text updates with a confirmation card
(`reporting`); /tiendo, /chuabaocao, /baocao (`views`). Everything goes through
the transport-free `bot.progress.service.ProgressService` and
`bot.progress.view.ProgressView` of the process, held by `ProgressRuntime` (`state`).

Use: the composition root (`bot.app.runtime.Runtime`) builds the runtime with
`ProgressRuntime.create(…)` and passes `ProgressFeature(runtime)` (`wiring`) in
`build_application(features=…)` / `serve(features=…)`.
"""

from __future__ import annotations

from bot.telegram.progress.state import PendingStore, ProgressRuntime
from bot.telegram.progress.wiring import ProgressFeature

__all__ = ["PendingStore", "ProgressFeature", "ProgressRuntime"]
