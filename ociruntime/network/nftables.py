"""libnftables through ctypes: run nft command text in one transaction, read JSON listings."""
import ctypes
import functools
import json

from ociruntime.errors import RuntimeFailure

OUTPUT_HANDLE = 1 << 3
OUTPUT_JSON = 1 << 4


@functools.cache
def _lib():
    try:
        lib = ctypes.CDLL("libnftables.so.1")
    except OSError as exc:
        raise RuntimeFailure(f"cannot load libnftables (install libnftables1): {exc}") from None
    lib.nft_ctx_new.restype = ctypes.c_void_p
    lib.nft_ctx_new.argtypes = [ctypes.c_uint32]
    lib.nft_ctx_free.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_output_set_flags.argtypes = [ctypes.c_void_p, ctypes.c_uint]
    lib.nft_ctx_buffer_output.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_buffer_error.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_get_output_buffer.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_get_output_buffer.restype = ctypes.c_char_p
    lib.nft_ctx_get_error_buffer.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_get_error_buffer.restype = ctypes.c_char_p
    lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    return lib


def _run(commands, flags):
    lib = _lib()
    ctx = lib.nft_ctx_new(0)
    if not ctx:
        raise RuntimeFailure("nftables: cannot create a context")
    try:
        lib.nft_ctx_output_set_flags(ctx, flags)
        lib.nft_ctx_buffer_output(ctx)
        lib.nft_ctx_buffer_error(ctx)
        rc = lib.nft_run_cmd_from_buffer(ctx, commands.encode())
        output = (lib.nft_ctx_get_output_buffer(ctx) or b"").decode()
        error = (lib.nft_ctx_get_error_buffer(ctx) or b"").decode()
    finally:
        lib.nft_ctx_free(ctx)
    return rc, output, error


def run(commands):
    """Apply newline-separated nft commands atomically (one netlink batch)."""
    rc, _, error = _run(commands, 0)
    if rc != 0:
        first = error.strip().splitlines()[0] if error.strip() else "unknown error"
        raise RuntimeFailure(f"nftables: {first}")


def list_objects(command):
    """Run a `list ...` command; return the JSON objects (rules, chains, ...) or [] if absent."""
    rc, output, _ = _run(command, OUTPUT_JSON | OUTPUT_HANDLE)
    if rc != 0 or not output.strip():
        return []
    return json.loads(output)["nftables"]
