"""Summaries of the raw samples, the printed tables, and the JSON file."""
import json
import statistics

BASELINES = ("runc", "crun")
SUBJECT = "ociruntime"


def stats(values):
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def summarize(cases_out, runtime_names):
    """{case: {"runtimes": {rt: {...}}, "ratios": {...}}} from the raw per-case results."""
    summary = {}
    for case_name, case in cases_out.items():
        per_rt = {}
        for rt in runtime_names:
            result = case["results"][rt]
            per_rt[rt] = {
                "status": result["status"],
                "error": result["error"],
                "ms": stats(result["samples_ms"]),
                "phases_ms": {phase: stats(v) for phase, v in result["phases_ms"].items()},
            }
        summary[case_name] = {"runtimes": per_rt, "ratios": _ratios(per_rt)}
    return summary


def _ratios(per_rt):
    subject = per_rt.get(SUBJECT, {}).get("ms")
    ratios = {}
    for base in BASELINES:
        other = per_rt.get(base, {}).get("ms")
        if subject and other and other["median"] > 0:
            ratios[f"{SUBJECT}/{base}"] = subject["median"] / other["median"]
    return ratios


def rss_summary(rss_kb):
    """{rt: {subcommand: stats of peak RSS in KiB}}."""
    return {rt: {cmd: stats(values) for cmd, values in per_cmd.items()} for rt, per_cmd in rss_kb.items()}


def _cell(result_stats, status):
    if status == "unavailable":
        return "unavailable"
    if status == "failed" and not result_stats:
        return "FAILED"
    if not result_stats:
        return "-"
    text = f"{_num(result_stats['median'])} ({_num(result_stats['min'])}-{_num(result_stats['max'])})"
    return text + (" FAILED" if status == "failed" else "")


def _num(ms):
    return f"{ms:.0f}" if ms >= 100 else f"{ms:.1f}"


def latency_table(summary, titles, runtime_names):
    """Medians (min-max) in ms per case and runtime, plus the ociruntime ratios."""
    ratio_keys = [f"{SUBJECT}/{b}" for b in BASELINES if SUBJECT in runtime_names and b in runtime_names]
    header = ["case [ms: median (min-max)]", *runtime_names, *ratio_keys]
    rows = []
    for case_name, case in summary.items():
        per_rt = case["runtimes"]
        rows.append([titles[case_name],
                     *(_cell(per_rt[rt]["ms"], per_rt[rt]["status"]) for rt in runtime_names),
                     *(f"{case['ratios'][k]:.2f}x" if k in case["ratios"] else "-" for k in ratio_keys)])
        phases = next((per_rt[rt]["phases_ms"] for rt in runtime_names if per_rt[rt]["phases_ms"]), {})
        for phase in phases:
            rows.append([f"  - {phase}",
                         *(_cell(per_rt[rt]["phases_ms"].get(phase), per_rt[rt]["status"]) for rt in runtime_names),
                         *(_phase_ratio(per_rt, phase, b) for b in BASELINES if f"{SUBJECT}/{b}" in ratio_keys)])
    return _format(header, rows)


def _phase_ratio(per_rt, phase, base):
    subject = per_rt[SUBJECT]["phases_ms"].get(phase)
    other = per_rt[base]["phases_ms"].get(phase)
    if subject and other and other["median"] > 0:
        return f"{subject['median'] / other['median']:.2f}x"
    return "-"


def rss_table(rss, runtime_names):
    """Peak RSS (ru_maxrss of the runtime process) per subcommand: median (max) in MiB."""
    commands = sorted({cmd for rt in runtime_names for cmd in rss.get(rt, {})})
    rows = []
    for cmd in commands:
        cells = []
        for rt in runtime_names:
            s = rss.get(rt, {}).get(cmd)
            cells.append(f"{s['median'] / 1024:.1f} ({s['max'] / 1024:.1f})" if s else "-")
        rows.append([cmd, *cells])
    return _format(["peak RSS [MiB: median (max)]", *runtime_names], rows)


def failures(summary):
    """One line per runtime/case that failed, with the runtime's own message."""
    lines = []
    for case_name, case in summary.items():
        for rt, result in case["runtimes"].items():
            if result["status"] != "ok":
                lines.append(f"{case_name}/{rt}: {result['status']}: {result['error']}")
    return lines


def _format(header, rows):
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_json(path, document):
    with open(path, "w") as f:
        json.dump(document, f, indent=1, sort_keys=False)
        f.write("\n")
