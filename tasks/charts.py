"""Charts people look at (reports in the inbox): matplotlib drawn to SVG whose text stays
text, so the browser sets Chinese labels in its own fonts and the chart stays sharp."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display: files only

import matplotlib.pyplot as plt  # noqa: E402

# Text is kept as <text> in the SVG; these names are only a hint for the browser's fonts.
FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC",
         "sans-serif"]
COLOURS = ["#1f4e79", "#c0504d", "#9bbb59", "#8064a2", "#4bacc6", "#f79646"]
STYLE = {"svg.fonttype": "none", "font.family": "sans-serif", "font.sans-serif": FONTS,
         "font.size": 10, "axes.spines.top": False, "axes.spines.right": False}


def bar_chart(title: str, labels: list[str], values: list[float], unit: str = "") -> str:
    """One bar per label, its value written on it; SVG text."""
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(figsize=(6, 3.2))
        bars = axes.bar(range(len(values)), values, color=COLOURS[0])
        axes.set_xticks(range(len(labels)), labels)
        axes.bar_label(bars, labels=[f"{v:g}{unit}" for v in values])
        return _svg(figure, axes, title)


def stacked_bar_chart(title: str, labels: list[str], series: dict[str, list[float]]) -> str:
    """Bars of several parts (e.g. on time / late / open per department), with a legend."""
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(figsize=(6, 3.2))
        bottom = [0.0] * len(labels)
        for colour, (name, values) in zip(COLOURS, series.items(), strict=False):
            axes.bar(range(len(labels)), values, bottom=bottom, label=name, color=colour)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        axes.set_xticks(range(len(labels)), labels)
        axes.legend(frameon=False)
        return _svg(figure, axes, title)


def line_chart(title: str, labels: list[str], values: list[float]) -> str:
    """A trend over periods, oldest first."""
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(figsize=(6, 3.2))
        axes.plot(range(len(values)), values, marker="o", color=COLOURS[0])
        axes.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
        axes.set_ylim(bottom=0)
        return _svg(figure, axes, title)


def _svg(figure, axes, title: str) -> str:
    axes.set_title(title)
    axes.yaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})  # the same data, the same file
    plt.close(figure)
    return out.getvalue()
