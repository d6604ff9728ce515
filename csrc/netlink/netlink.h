/* ociruntime._netlink: the kernel calls bridge networking makes: rtnetlink through
 * libnl-route-3 (rtnl.c) and nftables through libnftables (nftables.c).
 * Read by cc and by CFFI's cdef (ociruntime/_build_netlink.py): plain declarations only.
 * A separate extension from _core, loaded only when a container gets a network, so no
 * other call pays for loading these libraries.
 *
 * rtnetlink:
 * Every int-returning call answers 0 (or an ifindex > 0) on success and a negative libnl
 * error code (NLE_*) on failure; oci_rtnl_strerror() names it. Interface indexes are the
 * kernel's ifindex; 0 means "no such interface". */

struct nl_sock;

/* A NETLINK_ROUTE socket in the network namespace `netns_fd` (-1: the caller's own);
 * NULL with errno set on failure. The calling thread's namespace is restored. */
struct nl_sock *oci_rtnl_open(int netns_fd);
void oci_rtnl_close(struct nl_sock *sk);
const char *oci_rtnl_strerror(int err);

/* ifindex of `name`, 0 if there is none */
int oci_rtnl_link_index(struct nl_sock *sk, const char *name);
int oci_rtnl_bridge_add(struct nl_sock *sk, const char *name);
/* a veth pair `name` here and `peer_name` moved into the namespace `peer_netns_fd` */
int oci_rtnl_veth_add(struct nl_sock *sk, const char *name, const char *peer_name, int peer_netns_fd);
int oci_rtnl_link_del(struct nl_sock *sk, int ifindex);
int oci_rtnl_link_set_up(struct nl_sock *sk, int ifindex);
/* enslave `ifindex` to the bridge `master` */
int oci_rtnl_link_set_master(struct nl_sock *sk, int ifindex, int master);
/* the bridge port `ifindex` sends frames back out the port they came in on (hairpin) */
int oci_rtnl_bridge_port_hairpin(struct nl_sock *sk, int ifindex);
/* IPv4 `address`/`prefixlen` on `ifindex`; an address already there is no error */
int oci_rtnl_addr_add(struct nl_sock *sk, int ifindex, const char *address, int prefixlen);
/* the IPv4 default route through `gateway` on `ifindex` */
int oci_rtnl_default_route_add(struct nl_sock *sk, const char *gateway, int ifindex);

/* nftables: run newline-separated nft `commands` as one transaction (json != 0: list output
 * as JSON with rule handles). Returns nft's status (0 = success); *output and *error are
 * what nft printed (malloc'd, possibly NULL), to be freed with oci_nft_free. */
int oci_nft_run(const char *commands, int json, char **output, char **error);
void oci_nft_free(char *text);
