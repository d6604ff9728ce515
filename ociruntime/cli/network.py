"""`ociruntime network ...`: create, ls, inspect, rm, connect, disconnect: the CLI of
ociruntime.network (which prints nothing itself)."""
import sys

from ociruntime.cli.args import Command, Flag, parse
from ociruntime.errors import InvalidArgument

# the same parser as the runtime's own commands (ociruntime/cli/args.py); dispatched in main()
COMMANDS = {c.name: c for c in [
    Command("create", None, "[options] <name>", "define a network",
            [Flag("driver", "driver", True, "bridge"), Flag("subnet", "subnet", True),
             Flag("gateway", "gateway", True), Flag("ip-range", "ip_range", True)], 1, 1),
    Command("ls", None, "", "list networks", [], 0, 0),
    Command("inspect", None, "<name>", "print a network as JSON", [], 1, 1),
    Command("rm", None, "<name>", "remove a network with no containers", [], 1, 1),
    Command("connect", None, "[--ip IP] <name> <container-id>", "add an interface to a running container",
            [Flag("ip", "ip", True)], 2, 2),
    Command("disconnect", None, "<name> <container-id>", "remove a container's interface", [], 2, 2),
]}


def _usage():
    lines = ["Usage: ociruntime network command [options] [arguments...]", "", "Commands:"]
    lines += [f"   {c.name:<10} {c.usage:<34} {c.summary}" for c in COMMANDS.values()]
    return "\n".join(lines) + "\n"


def _usage_error(message):
    return InvalidArgument(f"network: {message}", exit_code=2)


def main(argv, pid_of):
    """Run one `network` sub-command. `pid_of(container_id) -> int` finds a running container's
    init pid (the runtime's state lookup). Errors raise RuntimeFailure with a one-line message."""
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(_usage())
        if not argv:
            raise _usage_error("a command is required (create, ls, inspect, rm, connect, disconnect)")
        return 0
    cmd = COMMANDS.get(argv[0])
    if cmd is None:
        raise _usage_error(f"no such command: {argv[0]}")
    try:
        o, args = parse(argv[1:], cmd.flags, what=f"network {cmd.name}")
    except InvalidArgument as e:
        raise _usage_error(str(e)) from None
    if o["help"]:
        sys.stdout.write(cmd.help_text("ociruntime network"))
        return 0
    if not cmd.min_args <= len(args) <= cmd.max_args:
        raise _usage_error(f"{cmd.name}: wrong number of arguments (usage: ociruntime network {cmd.name} {cmd.usage})")
    from ociruntime import network
    from ociruntime.network import networks

    if cmd.name == "create":
        print(networks.create(args[0], o["driver"], o["subnet"], o["gateway"], o["ip_range"])["id"])
    elif cmd.name == "ls":
        _print_table(networks.list_networks())
    elif cmd.name == "inspect":
        import json
        print(json.dumps(networks.inspect(args[0]), indent=2, sort_keys=True))
    elif cmd.name == "rm":
        networks.remove(args[0])
        print(args[0])
    elif cmd.name == "connect":
        network.connect(args[0], args[1], pid_of(args[1]), o["ip"])
    elif cmd.name == "disconnect":
        network.disconnect(args[0], args[1])
    return 0


def _print_table(all_networks):
    rows = [("NETWORK ID", "NAME", "DRIVER", "SUBNET", "GATEWAY", "CONTAINERS")]
    rows += [(n["id"][:12], n["name"], n["driver"], n["subnet"], n["gateway"], str(len(n["endpoints"]))) for n in all_networks]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
