"""Start-up latency of ociruntime side by side with runc and crun.

    /opt/ociruntime/bin/python bench/startup.py [--runs N] [--out DIR]
        [--runtimes ociruntime,runc,crun] [--cases run,lifecycle,...] [--ociruntime PATH]

See bench/README.md. Needs root. Leaves nothing behind, also on Ctrl-C."""
import argparse
import datetime
import os
import platform
import sys

import bundle
import cases
import cgroupfs
import chart
import containers
import crunns
import engines as engines_mod
import launcher
import report
import runtimes
import session as session_mod
import spawn

CONFIG_ARGS = {"true": ["/bin/true"], "true-hostnet": ["/bin/true"], "sleep": ["/bin/sleep", "3600"]}


def parse_args(argv):
    case_names = [c.name for c in cases.all_cases() + engines_mod.engine_cases(None)]
    p = argparse.ArgumentParser(description="OCI runtime start-up latency: ociruntime vs runc vs crun")
    p.add_argument("--runs", type=_positive, default=20, help="samples per runtime for per-call cases (default 20)")
    p.add_argument("--batch-runs", type=_positive, default=3,
                   help=f"repetitions of the {cases.SEQUENTIAL}-sequential-runs case (default 3)")
    p.add_argument("--out", default="bench-results", help="directory for startup.json/.txt/.png (default ./bench-results)")
    p.add_argument("--runtimes", default=",".join(runtimes.KNOWN), type=_names(runtimes.KNOWN),
                   help="comma-separated, from: " + ",".join(runtimes.KNOWN))
    p.add_argument("--cases", default=",".join(case_names), type=_names(case_names),
                   help="comma-separated, from: " + ",".join(case_names))
    p.add_argument("--ociruntime", metavar="PATH", help="ociruntime binary (default: `ociruntime` on PATH)")
    p.add_argument("--no-chart", action="store_true", help="skip the PNG chart")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds before a runtime call is killed (default 60)")
    return p.parse_args(argv)


def _positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def _names(allowed):
    def parse(text):
        names = [n.strip() for n in text.split(",") if n.strip()]
        unknown = [n for n in names if n not in allowed]
        if unknown or not names:
            raise argparse.ArgumentTypeError(f"unknown {unknown or 'empty list'}; choose from {','.join(allowed)}")
        return names
    return parse


def main(argv=None):
    args = parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("bench: must run as root (it creates containers)")
    spawn.become_subreaper()
    session = session_mod.Session()
    session_mod.stop_on_signals()
    document, status = None, 0
    try:
        document = bench(args, session)
    except KeyboardInterrupt:
        print("\nbench: interrupted; cleaning up", file=sys.stderr)
        status = 130
    finally:
        left = session.cleanup()
        for line in left:
            print(f"bench: could not remove {line}", file=sys.stderr)
    if document:
        document["cleanup_left"] = left
        publish(document, args.out, chart_wanted=not args.no_chart)
    return status or (1 if left else 0)


def bench(args, session):
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    info, available = discover(args, session)
    env = prepare(session, info, available)
    ociruntime = next((rt.binary for rt in available if rt.name == "ociruntime"), "")
    engines = engines_mod.Engines(session.token, ociruntime, sys.executable)
    selected = [c for c in cases.all_cases() + engines_mod.engine_cases(engines) if c.name in args.cases]
    cases_out = {}
    try:
        for case in selected:
            iterations = args.batch_runs if case.batch else args.runs
            skipped = engines.missing() if isinstance(case, engines_mod.EngineRun) else None
            if skipped:
                _progress(f"{case.name}: skipped: {skipped}")
                results = {name: {"status": "unavailable", "samples_ms": [], "phases_ms": {}, "error": skipped}
                           for name in args.runtimes}
            else:
                _progress(f"{case.name}: {case.title}, {iterations} x {len(available)} runtime(s)")
                results = cases.run_case(case, env, available, iterations)
            for name in args.runtimes:
                results.setdefault(name, _unavailable(info[name]))
            cases_out[case.name] = {"title": case.title, "iterations": iterations, "unit": "ms",
                                    "results": {name: results[name] for name in args.runtimes}}
    finally:
        if engines.started:
            engines.stop()
    return {
        "schema": "ociruntime-bench-startup/1",
        "started_at": started,
        "host": {"kernel": platform.release(), "cpus": os.cpu_count(),
                 "cgroup_hierarchies": {h.label: h.own_path for h in session.hierarchies}},
        "cgroup_parent": session.cgroup_parent,
        "args": {"runs": args.runs, "batch_runs": args.batch_runs, "cases": args.cases, "runtimes": args.runtimes},
        "runtimes": info,
        "cases": cases_out,
        "rss_method": session.spawner.rss_method,
        "rss_kb": {rt.name: dict(rt.rss_kb) for rt in available},
    }


def _unavailable(rt_info):
    return {"status": "unavailable", "samples_ms": [], "phases_ms": {}, "error": rt_info.get("reason")}


def discover(args, session):
    """Locate and version-check each selected runtime: (info per name, available Runtimes)."""
    info, available = {}, []
    for name in args.runtimes:
        binary, reason = runtimes.locate(name, args.ociruntime)
        version = None
        if binary:
            version, reason = runtimes.version_of(binary)
        info[name] = {"available": reason is None, "binary": binary, "version": version, "reason": reason,
                      "cgroups": runtimes.CGROUP_NOTES[name]}
        if reason is None:
            available.append(runtimes.Runtime(name, binary, session.runtime_root(name), args.timeout, version))
        else:
            _progress(f"{name}: unavailable: {reason}")
    return info, available


def prepare(session, info, available):
    """The shared rootfs and configs, crun's mount namespace, and each runtime's observed
    cgroup placement; returns the cases' Env."""
    spec_tool = next((rt.binary for rt in available if rt.name in ("runc", "crun")), None) \
        or runtimes.locate("runc")[0] or runtimes.locate("crun")[0]
    if not spec_tool:
        raise SystemExit("bench: need runc or crun to generate the base config (`runc spec`)")
    rootfs = session.path("rootfs")
    bundle.make_rootfs(rootfs)
    base = bundle.base_config(spec_tool, session.workdir, rootfs)
    configs = {kind: bundle.variant(base, argv, network_ns=(kind != "true-hostnet"))
               for kind, argv in CONFIG_ARGS.items()}
    os.mkdir(session.path("bundles"))
    env = cases.Env(containers.Factory(session.path("bundles"), configs, session.cgroup_parent, session.token),
                    session.registry)
    for rt in available:
        if rt.name == "crun":
            info["crun"]["mount_namespace_binds"] = enter_crun_namespace(rt, session)
    session.spawner = start_spawner(session)
    for rt in available:
        rt.spawner = session.spawner
        info[rt.name].update(observe_cgroups(rt, env, session))
        _progress(f"{rt.name} ({rt.version}): {info[rt.name]['cgroups_placement']}")
    return env


def enter_crun_namespace(rt, session):
    """Make every crun call run in crun's private mount namespace; returns the binds made."""
    rt.mntns_fd, binds = crunns.open_namespace(session.hierarchies, session.workdir)
    if rt.mntns_fd is not None:
        session.namespace_fds.append(rt.mntns_fd)
    return [f"{src} -> {dst}" for src, dst in binds]


def start_spawner(session):
    """The C fork server (so peak RSS is the runtime's own), or forking from the bench."""
    binary, reason = launcher.build(session.workdir)
    if binary:
        return launcher.Launcher(binary, session.path("stderr"), pass_fds=session.namespace_fds)
    _progress(f"{reason}; forking runtimes from the bench instead (peak RSS gets the bench's RSS as floor)")
    return spawn.ForkSpawner()


def observe_cgroups(rt, env, session):
    """Create one container and read /proc/PID/cgroup of its init: what the runtime really did."""
    cid, path = env.factory.new(rt, "sleep")
    try:
        pid = containers.create(rt, env.registry, cid, path)
        observed = cgroupfs.process_cgroups(pid)
        containers.stop(rt, env.registry, cid, pid)
    except spawn.CallFailed as exc:
        env.registry.force_delete_all()
        return {"cgroups_observed": None, "cgroups_placement": f"probe failed: {exc}"}
    return {"cgroups_observed": observed,
            "cgroups_placement": cgroupfs.describe_placement(observed, session.hierarchies, session.cgroup_parent)}


def publish(document, out_dir, chart_wanted=True):
    """Print the tables and write startup.json, startup.txt and (unless not wanted)
    startup.png into out_dir."""
    names = document["args"]["runtimes"]
    summary = report.summarize(document["cases"], names)
    document["summary"] = summary
    document["rss_summary_kb"] = report.rss_summary(document["rss_kb"])
    titles = {name: case["title"] for name, case in document["cases"].items()}
    text = "\n\n".join(filter(None, [
        _runtime_lines(document["runtimes"]),
        report.latency_table(summary, titles, names),
        report.rss_table(document["rss_summary_kb"], names),
        "\n".join(report.failures(summary)),
    ]))
    print(text)
    os.makedirs(out_dir, exist_ok=True)
    report.write_json(os.path.join(out_dir, "startup.json"), document)
    with open(os.path.join(out_dir, "startup.txt"), "w") as f:
        f.write(text + "\n")
    if chart_wanted:
        skipped = chart.draw(os.path.join(out_dir, "startup.png"), summary, titles, names,
                             document["rss_summary_kb"])
        print(f"\nbench: {skipped}" if skipped else f"\nbench: chart written to {out_dir}/startup.png")
    print(f"bench: raw numbers in {out_dir}/startup.json")


def _runtime_lines(info):
    lines = []
    for name, rt in info.items():
        if not rt["available"]:
            lines.append(f"{name}: unavailable ({rt['reason']})")
            continue
        lines.append(f"{name}: {rt['version']} [{rt['binary']}]")
        lines.append(f"    cgroups: {rt['cgroups']}")
        lines.append(f"    observed: {rt['cgroups_placement']}")
    return "\n".join(lines)


def _progress(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
