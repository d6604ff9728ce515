"""The PNG chart: one panel per case, a bar per runtime (median, min-max whiskers).
matplotlib is imported here only, when the chart is drawn."""
import math

COLORS = {"ociruntime": "#d95f02", "runc": "#1b9e77", "crun": "#7570b3"}


def draw(path, summary, titles, runtime_names):
    """Write the chart; returns None, or why it was skipped."""
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
    cols = min(4, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.2 * rows), squeeze=False)
    for ax, name in zip(axes.flat, panels):
        _panel(ax, titles[name], summary[name]["runtimes"], runtime_names)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle("OCI runtime start-up latency (median, min-max)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def _panel(ax, title, per_rt, runtime_names):
    names, medians, low, high, colors = [], [], [], [], []
    for rt in runtime_names:
        s = per_rt[rt]["ms"]
        names.append(rt if s else f"{rt}\n({per_rt[rt]['status']})")
        medians.append(s["median"] if s else 0)
        low.append(s["median"] - s["min"] if s else 0)
        high.append(s["max"] - s["median"] if s else 0)
        colors.append(COLORS.get(rt, "grey"))
    ax.bar(names, medians, yerr=[low, high], color=colors, capsize=4)
    ax.set_title(title, fontsize=9)
    ax.set_ylabel("ms")
    ax.tick_params(axis="x", labelsize=8)
