"""`ociruntime network ...`: create, ls, inspect, rm, connect, disconnect."""
import argparse
import json
import sys

from ociruntime.errors import RuntimeFailure


class _Parser(argparse.ArgumentParser):
    """argparse that reports misuse as a RuntimeFailure instead of exiting."""

    def error(self, message):
        raise RuntimeFailure(f"network: {message}", exit_code=2)


def _parser():
    parser = _Parser(prog="ociruntime network")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    create = sub.add_parser("create", help="define a network")
    create.add_argument("--driver", default="bridge")
    create.add_argument("--subnet")
    create.add_argument("--gateway")
    create.add_argument("--ip-range")
    create.add_argument("name")
    sub.add_parser("ls", help="list networks")
    sub.add_parser("inspect", help="print a network as JSON").add_argument("name")
    sub.add_parser("rm", help="remove a network with no containers").add_argument("name")
    connect = sub.add_parser("connect", help="add an interface to a running container")
    connect.add_argument("--ip")
    connect.add_argument("name")
    connect.add_argument("container_id")
    disconnect = sub.add_parser("disconnect", help="remove a container's interface")
    disconnect.add_argument("name")
    disconnect.add_argument("container_id")
    return parser


def _no_container_lookup(container_id):
    raise RuntimeFailure(f"cannot find the init pid of container {container_id}: no state lookup wired")


def main(argv, pid_of=_no_container_lookup):
    """Run one `network` sub-command. `pid_of(container_id) -> int` finds a running container's
    init pid (the runtime's state lookup). Errors raise RuntimeFailure with a one-line message."""
    args = _parser().parse_args(argv)
    from ociruntime import network
    from ociruntime.network import networks

    if args.command == "create":
        print(networks.create(args.name, args.driver, args.subnet, args.gateway, args.ip_range)["id"])
    elif args.command == "ls":
        _print_table(networks.list_networks())
    elif args.command == "inspect":
        json.dump(networks.inspect(args.name), sys.stdout, indent=2, sort_keys=True)
        print()
    elif args.command == "rm":
        networks.remove(args.name)
        print(args.name)
    elif args.command == "connect":
        network.connect(args.name, args.container_id, pid_of(args.container_id), args.ip)
    elif args.command == "disconnect":
        network.disconnect(args.name, args.container_id)
    return 0


def _print_table(all_networks):
    rows = [("NETWORK ID", "NAME", "DRIVER", "SUBNET", "GATEWAY", "CONTAINERS")]
    rows += [(n["id"][:12], n["name"], n["driver"], n["subnet"], n["gateway"], str(len(n["endpoints"]))) for n in all_networks]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
