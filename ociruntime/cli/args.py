"""A small command-line parser with runc's (urfave/cli) conventions: `-flag`,
`--flag`, `--flag=value`, `-f value`. A command's own flags may also follow its
arguments (`update ID --memory 1G`), as runc's urfave/cli reorders them, except for
commands whose trailing arguments are another program's (exec, ps): there, and for
the global flags, flags stop at the first positional.

argparse costs more start-up time than a whole `state` call should."""
from ..errors import InvalidArgument


class Flag:
    def __init__(self, names, dest, takes_value=False, default=None, kind=str, help=""):
        self.names = names.split(",")
        self.dest = dest
        self.takes_value = takes_value
        self.default = default if takes_value or default is not None else False
        self.kind = kind
        self.help = help


class Command:
    """A command: handler(runtime, options, args, log, trace) -> exit code; max_args -1: any."""

    def __init__(self, name, handler, usage, summary, flags=(), min_args=0, max_args=0, flags_after_args=True):
        self.name = name
        self.flags_after_args = flags_after_args
        self.handler = handler
        self.usage = usage
        self.summary = summary
        self.flags = list(flags)
        self.min_args = min_args
        self.max_args = max_args

    def help_text(self, prog):
        lines = [f"Usage: {prog} {self.name} {self.usage}".rstrip(), "", self.summary]
        if self.flags:
            lines += ["", "Options:"]
            for f in self.flags:
                names = ", ".join(("-" if len(n) == 1 else "--") + n for n in f.names)
                lines.append(f"   {names + (' value' if f.takes_value else ''):<32} {f.help}")
        return "\n".join(lines) + "\n"


def parse(argv, flags, what="command", flags_after_args=False):
    """(options dict, positional args). `-h`/`--help` sets options['help'].
    flags_after_args: a known flag after a positional is still a flag (an unknown
    one is a positional then, as urfave/cli's reordering leaves it); `--` ends flags."""
    by_name = {n: f for f in flags for n in f.names}
    opts = {f.dest: f.default for f in flags}
    opts["help"] = False
    rest = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            rest.extend(argv[i:])
            break
        name, eq, value = arg.lstrip("-").partition("=")
        if not arg.startswith("-") or arg == "-" or rest and (name not in by_name and name not in ("h", "help")):
            if not flags_after_args:
                rest.extend(argv[i - 1:])
                break
            rest.append(arg)
            continue
        if name in ("h", "help"):
            opts["help"] = True
            continue
        flag = by_name.get(name)
        if flag is None:
            raise InvalidArgument(f"flag provided but not defined: {arg.split('=')[0]} ({what})")
        if flag.takes_value:
            if not eq:
                if i >= len(argv):
                    raise InvalidArgument(f"flag needs an argument: {arg}")
                value = argv[i]
                i += 1
            try:
                converted = flag.kind(value)
            except ValueError:
                raise InvalidArgument(f"invalid value {value!r} for flag {arg}") from None
            if isinstance(flag.default, list):
                opts[flag.dest] = opts[flag.dest] + [converted]
            else:
                opts[flag.dest] = converted
        else:
            opts[flag.dest] = value.lower() not in ("false", "0") if eq else True
    return opts, rest
