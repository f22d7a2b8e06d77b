"""The status-by-agency chart: a small PNG for /tiendo and the Monday digest.

`status_by_agency` counts each agency's rows (the day's agencies, as the view derives
them) per state, with how many of them carry «vướng mắc»; `render_png` draws each as a
horizontal bar of 100 % split by state with matplotlib's Agg backend (headless: `Figure` and
`FigureCanvasAgg`, never pyplot and its global state). matplotlib is imported only when
a chart is drawn, so starting the bot and `python -m bot ask` never pay for it; the
drawing is pure (data in, bytes out), kept for the last few inputs and serialised by a
lock, so callers may run it in a worker thread while the event loop goes on.

With more agencies than `MAX_BARS` (65 after the 2025 restructuring), the ones that most
need attention (overdue, blocked, then not reported) keep a bar of their own and the
rest share one bar «Các cơ quan khác».
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from bot.plan.models import Agency
from bot.plan.responsibility import agency_name
from bot.progress.status import BLOCKED_LABEL, STATE_LABELS, STATE_ORDER, RowStatus, State

MAX_BARS = 30
NAME_LIMIT = 34
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOURS: dict[State, str] = {
    State.DONE_ON_TIME: "#2e7d32",
    State.DONE_LATE: "#9ccc65",
    State.IN_PROGRESS: "#1e88e5",
    State.OVERDUE: "#e53935",
    State.NOT_REPORTED: "#bdbdbd",
}
BLOCKED_COLOUR = "#e65100"
_SHORTER = (("Văn phòng Ủy ban nhân dân", "VP UBND"), ("Ủy ban nhân dân", "UBND"))
_DRAWING = threading.Lock()


@dataclass(frozen=True)
class AgencyBar:
    """One bar: an agency (or the others together), its rows per state in `STATE_ORDER`,
    and how many of them are blocked."""

    name: str
    counts: tuple[int, ...]
    blocked: int

    @property
    def total(self) -> int:
        return sum(self.counts)


def short_name(name: str) -> str:
    """ "UBND huyện Hàm Thuận Bắc" for a chart's label; cut with «…» past `NAME_LIMIT`."""
    for long, short in _SHORTER:
        name = name.replace(long, short)
    return name if len(name) <= NAME_LIMIT else name[: NAME_LIMIT - 1].rstrip() + "…"


def status_by_agency(
    rows: Iterable[RowStatus], agencies: Mapping[str, Agency], limit: int = MAX_BARS
) -> tuple[AgencyBar, ...]:
    """The bars in registry order (at most `limit`; see the module docstring)."""
    counts: dict[str, list[int]] = {}
    blocked: dict[str, int] = {}
    for row in rows:
        counts.setdefault(row.agency_id, [0] * len(STATE_ORDER))[STATE_ORDER.index(row.state)] += 1
        blocked[row.agency_id] = blocked.get(row.agency_id, 0) + row.blocked
    order = list(agencies)
    ids = sorted(counts, key=lambda a: order.index(a) if a in order else len(order))
    if len(ids) > limit:
        overdue, silent = STATE_ORDER.index(State.OVERDUE), STATE_ORDER.index(State.NOT_REPORTED)
        urgent = sorted(
            ids,
            key=lambda a: (-(counts[a][overdue] + blocked[a]), -counts[a][silent], ids.index(a)),
        )
        kept = set(urgent[: limit - 1])
        rest = [a for a in ids if a not in kept]
        ids = [a for a in ids if a in kept]
    else:
        rest = []
    bars = [
        AgencyBar(short_name(agency_name(agencies, a)), tuple(counts[a]), blocked[a]) for a in ids
    ]
    if rest:
        together = tuple(sum(counts[a][i] for a in rest) for i in range(len(STATE_ORDER)))
        bars.append(
            AgencyBar(f"Các cơ quan khác ({len(rest)})", together, sum(blocked[a] for a in rest))
        )
    return tuple(bars)


@lru_cache(maxsize=8)
def render_png(bars: tuple[AgencyBar, ...], title: str) -> bytes:
    """Each agency's rows as one bar of 100 % split by state (in the states' colours),
    the number of rows and «vướng mắc: n» beside it, titled `title`; PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _DRAWING:
        figure = Figure(
            figsize=(8.0, 1.6 + 0.28 * max(len(bars), 1)), dpi=100, layout="constrained"
        )
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        positions = list(range(len(bars)))[::-1]  # the first agency on top
        left = [0.0] * len(bars)
        for index, state in enumerate(STATE_ORDER):
            widths = [100 * bar.counts[index] / (bar.total or 1) for bar in bars]
            axes.barh(
                positions,
                widths,
                left=left,
                color=COLOURS[state],
                label=STATE_LABELS[state],
                height=0.72,
            )
            left = [a + b for a, b in zip(left, widths, strict=True)]
        for y, bar in zip(positions, bars, strict=True):
            axes.text(101, y, f"{bar.total} việc", va="center", fontsize=7.5, color="#424242")
            if bar.blocked:
                axes.text(
                    113,
                    y,
                    f"{BLOCKED_LABEL}: {bar.blocked}",
                    va="center",
                    fontsize=7.5,
                    color=BLOCKED_COLOUR,
                    fontweight="bold",
                )
        axes.set_yticks(positions, [bar.name for bar in bars], fontsize=8)
        axes.set_xlim(0, 130)
        axes.set_xticks([0, 25, 50, 75, 100], ["0", "25", "50", "75", "100 %"], fontsize=8)
        axes.set_ylim(-0.6, len(bars) - 0.4)
        axes.spines[["top", "right"]].set_visible(False)
        axes.legend(
            loc="lower center", bbox_to_anchor=(0.4, 1.0), ncol=3, fontsize=8, frameon=False
        )
        figure.suptitle(title, fontsize=11)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()


def chart_title(plan_number: str, today: date) -> str:
    """The title drawn on the chart."""
    return f"Kế hoạch {plan_number}: trạng thái phần việc theo cơ quan, {today:%d/%m/%Y}"


def status_chart_png(
    rows: Iterable[RowStatus], agencies: Mapping[str, Agency], title: str
) -> bytes:
    """`render_png` of `status_by_agency` (count in the caller's thread, then draw)."""
    return render_png(status_by_agency(rows, agencies), title)
