"""libnftables (through the _netlink extension): run nft command text in one transaction,
read JSON listings."""
from ociruntime import jsonio
from ociruntime.errors import NetworkError


def _run(commands, as_json):
    from ociruntime._netlink import ffi, lib
    output, error = ffi.new("char **"), ffi.new("char **")
    rc = lib.oci_nft_run(commands.encode(), as_json, output, error)
    texts = []
    for buffer in (output, error):
        texts.append(ffi.string(buffer[0]).decode() if buffer[0] != ffi.NULL else "")
        lib.oci_nft_free(buffer[0])
    if rc < 0 and not texts[1]:
        texts[1] = "cannot create an nftables context"
    return rc, texts[0], texts[1]


def run(commands):
    """Apply newline-separated nft commands atomically (one netlink batch)."""
    rc, _, error = _run(commands, 0)
    if rc != 0:
        first = error.strip().splitlines()[0] if error.strip() else "unknown error"
        raise NetworkError(f"nftables: {first}")


def list_objects(command):
    """Run a `list ...` command; return the JSON objects (rules, chains, ...) or [] if absent."""
    rc, output, _ = _run(command, 1)
    if rc != 0 or not output.strip():
        return []
    return jsonio.loads(output)["nftables"]
