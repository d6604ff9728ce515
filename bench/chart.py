"""The PNG chart: one panel per case, a bar per runtime (median, min-max whiskers).
matplotlib is imported here only, when the chart is drawn."""
import math

COLORS = {"ociruntime": "#d95f02", "runc": "#1b9e77", "crun": "#7570b3"}


def draw(path, summary, titles, runtime_names, rss):
    """Write the chart (plus a panel of `run`'s peak RSS); returns None, or why it was skipped."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        return f"matplotlib unavailable ({exc}); chart skipped"
    panels = [name for name, case in summary.items()
              if any(case["runtimes"][rt]["ms"] for rt in runtime_names)]
    if not panels:
        return "no successful samples; chart skipped"
    cols = min(4, len(panels) + 1)
    rows = math.ceil((len(panels) + 1) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.2 * rows), squeeze=False)
    for ax, name in zip(axes.flat, panels):
        per_rt = summary[name]["runtimes"]
        _panel(ax, titles[name], {rt: per_rt[rt]["ms"] for rt in runtime_names},
               {rt: per_rt[rt]["status"] for rt in runtime_names}, "ms")
    run_rss = {rt: _mib(rss.get(rt, {}).get("run")) for rt in runtime_names}
    _panel(axes.flat[len(panels)], "peak RSS of `run`", run_rss,
           {rt: "ok" if run_rss[rt] else "no data" for rt in runtime_names}, "MiB")
    for ax in list(axes.flat)[len(panels) + 1:]:
        ax.axis("off")
    fig.suptitle("OCI runtime start-up latency (median, min-max)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def _mib(kib_stats):
    if not kib_stats:
        return None
    return {key: kib_stats[key] / 1024 for key in ("median", "min", "max")}


def _panel(ax, title, stats_by_rt, status_by_rt, unit):
    """Bars of medians with min-max whiskers; a runtime without data is labelled why."""
    names, medians, low, high, colors = [], [], [], [], []
    for rt, s in stats_by_rt.items():
        names.append(rt if s else f"{rt}\n({status_by_rt[rt]})")
        medians.append(s["median"] if s else 0)
        low.append(s["median"] - s["min"] if s else 0)
        high.append(s["max"] - s["median"] if s else 0)
        colors.append(COLORS.get(rt, "grey"))
    ax.bar(names, medians, yerr=[low, high], color=colors, capsize=4)
    ax.set_title(title, fontsize=9)
    ax.set_ylabel(unit)
    ax.tick_params(axis="x", labelsize=8)
