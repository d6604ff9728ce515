"""CRIU, driven through its RPC interface (`criu swrk FD`): the protobuf messages of
its images/rpc.proto (ociruntime.criu.rpc, on our own small codec in
ociruntime.criu.protobuf) over a SOCK_SEQPACKET socketpair (ociruntime.criu.swrk).
Only `checkpoint` and `restore` import this package."""
