"""Hand-written SVG charts: geometry only, drawn by ``templates/dashboard/_charts.html``.

Each function turns a few numbers into a ``Chart`` of rectangles, polylines, circles and
text with CSS classes (``static/dashboard/dashboard.css`` colours them). No script, no
inline style (the Content-Security-Policy allows neither), nothing fetched at runtime.
Every mark carries a ``title`` the browser shows on hover, and the chart a text
summary for screen readers.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Mark:
    """One SVG element: kind is rect | line | polyline | circle | text."""

    kind: str
    cls: str = ""
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0
    x2: float = 0
    y2: float = 0
    r: float = 0
    points: str = ""
    text: str = ""
    anchor: str = "start"
    title: str = ""


@dataclass
class Chart:
    """An SVG drawing with its legend and a one-line description."""

    width: int
    height: int
    description: str
    marks: list[Mark] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css class, label)


def percent(value: float | None) -> str:
    """A rate as a percentage, or a dash when nothing was decided."""
    return "—" if value is None else f"{value * 100:.1f}%"


def _nice_max(value: float) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if value <= step * 4:
            return step * 4
    return int(value) + 1


def rate_lines(labels: list[str], series: list[tuple[str, str, list[float | None]]],
               width: int = 640, height: int = 240) -> Chart:
    """Rates (0–1) over time: one line per series, gaps where a value is None."""
    left, right, top, bottom = 44, 12, 12, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(1, len(labels))
    step = plot_w / max(1, n - 1) if n > 1 else 0
    chart = Chart(width, height, "按周趋势：" + "、".join(name for _, name, _ in series))

    def x_at(i: int) -> float:
        return left + (i * step if n > 1 else plot_w / 2)

    for pct in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - pct / 100)
        chart.marks.append(Mark("line", "grid", x=left, y=y, x2=left + plot_w, y2=y))
        chart.marks.append(Mark("text", "axis", x=left - 6, y=y + 4, text=f"{pct}%", anchor="end"))
    every = max(1, -(-n // 8))
    for i, label in enumerate(labels):
        if i % every == 0 or i == n - 1:
            chart.marks.append(Mark("text", "axis", x=x_at(i), y=height - bottom + 16, text=label, anchor="middle"))
    for cls, name, values in series:
        chart.legend.append((cls, name))
        segment: list[str] = []
        for i, v in enumerate(values + [None]):
            if v is None:
                if len(segment) > 1:
                    chart.marks.append(Mark("polyline", f"line {cls}", points=" ".join(segment)))
                segment = []
                continue
            x, y = x_at(i), top + plot_h * (1 - max(0.0, min(1.0, v)))
            segment.append(f"{x:.1f},{y:.1f}")
            chart.marks.append(Mark("circle", f"dot {cls}", x=x, y=y, r=3,
                                    title=f"{labels[i]} {name} {percent(v)}"))
    return chart


def stacked_columns(labels: list[str], series: list[tuple[str, str, list[int]]],
                    width: int = 640, height: int = 220) -> Chart:
    """Counts per period as stacked columns (e.g. overdue and due soon at each week's end)."""
    left, right, top, bottom = 36, 12, 14, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(1, len(labels))
    totals = [sum(s[2][i] for s in series) for i in range(len(labels))]
    top_value = _nice_max(max(totals, default=0) or 1)
    slot = plot_w / n
    bar = max(4.0, slot * 0.6)
    chart = Chart(width, height, "按周数量：" + "、".join(name for _, name, _ in series))
    for k in range(5):
        value = top_value * k / 4
        y = top + plot_h * (1 - k / 4)
        chart.marks.append(Mark("line", "grid", x=left, y=y, x2=left + plot_w, y2=y))
        chart.marks.append(Mark("text", "axis", x=left - 6, y=y + 4, text=f"{value:g}", anchor="end"))
    every = max(1, -(-n // 8))
    for i, label in enumerate(labels):
        x = left + slot * i + (slot - bar) / 2
        base = top + plot_h
        for cls, name, values in series:
            v = values[i]
            if v:
                h = plot_h * v / top_value
                base -= h
                chart.marks.append(Mark("rect", f"bar {cls}", x=x, y=base, w=bar, h=h, title=f"{label} {name} {v} 件"))
        if totals[i]:
            chart.marks.append(Mark("text", "value", x=x + bar / 2, y=base - 3, text=str(totals[i]), anchor="middle"))
        if i % every == 0 or i == n - 1:
            chart.marks.append(Mark("text", "axis", x=x + bar / 2, y=height - bottom + 16, text=label,
                                    anchor="middle"))
    chart.legend = [(cls, name) for cls, name, _ in series]
    return chart


def horizontal_bars(rows: list[tuple[str, list[int], str]], series: list[tuple[str, str]],
                    width: int = 640, row_height: int = 26) -> Chart:
    """One stacked horizontal bar per row (label, counts per series, note shown at the right)."""
    label_w, note_w, top = 170, 70, 8
    plot_w = width - label_w - note_w - 12
    height = top * 2 + row_height * max(1, len(rows))
    top_value = max((sum(c) for _, c, _ in rows), default=0) or 1
    chart = Chart(width, height, "按单位：" + "、".join(name for _, name in series))
    for i, (label, counts, note) in enumerate(rows):
        y = top + i * row_height
        chart.marks.append(Mark("text", "label", x=label_w - 8, y=y + row_height * 0.65, text=label, anchor="end"))
        x = label_w
        for (cls, name), v in zip(series, counts):
            if v:
                w = plot_w * v / top_value
                chart.marks.append(Mark("rect", f"bar {cls}", x=x, y=y + 4, w=w, h=row_height - 8,
                                        title=f"{label} {name} {v} 件"))
                x += w
        total = sum(counts)
        chart.marks.append(Mark("text", "value", x=x + 4, y=y + row_height * 0.65, text=str(total) if total else ""))
        chart.marks.append(Mark("text", "note", x=width - 4, y=y + row_height * 0.65, text=note, anchor="end"))
    chart.legend = list(series)
    return chart


def grouped_columns(labels: list[str], series: list[tuple[str, str, list[int]]], notes: list[str] | None = None,
                    width: int = 640, height: int = 240) -> Chart:
    """Side-by-side columns per category (e.g. received and overdue per domain)."""
    left, right, top, bottom = 36, 12, 14, 52
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(1, len(labels))
    top_value = _nice_max(max((max(s[2], default=0) for s in series), default=0) or 1)
    slot = plot_w / n
    bar = max(3.0, slot * 0.7 / max(1, len(series)))
    chart = Chart(width, height, "按领域：" + "、".join(name for _, name, _ in series))
    for k in range(5):
        y = top + plot_h * (1 - k / 4)
        chart.marks.append(Mark("line", "grid", x=left, y=y, x2=left + plot_w, y2=y))
        chart.marks.append(Mark("text", "axis", x=left - 6, y=y + 4, text=f"{top_value * k / 4:g}", anchor="end"))
    for i, label in enumerate(labels):
        start = left + slot * i + (slot - bar * len(series)) / 2
        for j, (cls, name, values) in enumerate(series):
            v = values[i]
            h = plot_h * v / top_value
            x = start + j * bar
            if v:
                chart.marks.append(Mark("rect", f"bar {cls}", x=x, y=top + plot_h - h, w=bar - 1, h=h,
                                        title=f"{label} {name} {v} 件"))
                chart.marks.append(Mark("text", "value", x=x + bar / 2, y=top + plot_h - h - 3, text=str(v),
                                        anchor="middle"))
        center = left + slot * i + slot / 2
        chart.marks.append(Mark("text", "axis", x=center, y=height - bottom + 16, text=label, anchor="middle"))
        if notes:
            chart.marks.append(Mark("text", "note", x=center, y=height - bottom + 32, text=notes[i], anchor="middle"))
    chart.legend = [(cls, name) for cls, name, _ in series]
    return chart


def dashboard_charts(overview) -> dict[str, Chart]:
    """The four charts of the dashboard page from an ``engine.dashboard.Overview``."""
    from engine import orgchart

    weeks = overview.weeks
    labels = [f"{w.week_start:%m-%d}" for w in weeks]
    rates = rate_lines(labels, [
        ("s1", "及时受理率", [w.metrics.timely_acceptance.value for w in weeks]),
        ("s2", "按期办理率", [w.metrics.on_time_handling.value for w in weeks]),
        ("s3", "一次性化解率", [w.metrics.first_time_resolution.value for w in weeks]),
        ("s4", "满意率", [w.metrics.satisfaction.value for w in weeks]),
    ])
    counts = stacked_columns(labels, [
        ("late", "逾期", [w.metrics.overdue for w in weeks]),
        ("soon", "临期", [w.metrics.due_soon for w in weeks]),
    ])
    units = sorted((m for m in overview.report.units.values()
                    if m.overdue or m.due_soon or m.on_time_handling.denominator),
                   key=lambda m: (-m.overdue, -m.due_soon, orgchart.unit_name(m.unit)))
    unit_rows = [(orgchart.unit_name(m.unit), [m.overdue, m.due_soon], f"按期 {percent(m.on_time_handling.value)}")
                 for m in units[:16]]
    by_unit = horizontal_bars(unit_rows, [("late", "逾期"), ("soon", "临期")])
    domains = overview.domains
    by_domain = grouped_columns(
        [d.domain for d in domains],
        [("received", "收件", [d.received for d in domains]), ("late", "逾期", [d.overdue for d in domains])],
        notes=[f"按期 {percent(d.on_time_handling.value)}" for d in domains])
    return {"rates": rates, "counts": counts, "units": by_unit, "domains": by_domain}
