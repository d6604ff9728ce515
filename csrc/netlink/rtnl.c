/* The rtnetlink calls of bridge networking (netlink.h), each one libnl request. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "netlink.h"

static struct nl_sock *connect_route_socket(void)
{
    struct nl_sock *sk = nl_socket_alloc();
    if (!sk) {
        errno = ENOMEM;
        return NULL;
    }
    int err = nl_connect(sk, NETLINK_ROUTE);
    if (err < 0) {
        nl_socket_free(sk);
        errno = err == -NLE_PERM ? EPERM : EIO;
        return NULL;
    }
    return sk;
}

/* A netlink socket keeps the namespace it was opened in: open it there, then come back. */
struct nl_sock *oci_rtnl_open(int netns_fd)
{
    if (netns_fd < 0)
        return connect_route_socket();
    int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home < 0)
        return NULL;
    struct nl_sock *sk = NULL;
    if (setns(netns_fd, CLONE_NEWNET) == 0) {
        sk = connect_route_socket();
        int saved = errno;
        if (setns(home, CLONE_NEWNET) < 0)
            abort(); /* a runtime thread left in a container's namespace must not go on */
        errno = saved;
    }
    close(home);
    return sk;
}

void oci_rtnl_close(struct nl_sock *sk)
{
    nl_socket_free(sk);
}

const char *oci_rtnl_strerror(int err)
{
    return nl_geterror(err);
}

int oci_rtnl_link_index(struct nl_sock *sk, const char *name)
{
    struct rtnl_link *link = NULL;
    int err = rtnl_link_get_kernel(sk, 0, name, &link);
    if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV)
        return 0;
    if (err < 0)
        return err;
    int index = rtnl_link_get_ifindex(link);
    rtnl_link_put(link);
    return index;
}

int oci_rtnl_bridge_add(struct nl_sock *sk, const char *name)
{
    return rtnl_link_bridge_add(sk, name);
}

int oci_rtnl_veth_add(struct nl_sock *sk, const char *name, const char *peer_name, int peer_netns_fd)
{
    struct rtnl_link *link = rtnl_link_veth_alloc();
    if (!link)
        return -NLE_NOMEM;
    struct rtnl_link *peer = rtnl_link_veth_get_peer(link);
    rtnl_link_set_name(link, name);
    rtnl_link_set_name(peer, peer_name);
    rtnl_link_set_ns_fd(peer, peer_netns_fd);
    int err = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
    rtnl_link_put(peer);
    rtnl_link_put(link);
    return err;
}

int oci_rtnl_link_del(struct nl_sock *sk, int ifindex)
{
    struct rtnl_link *link = rtnl_link_alloc();
    if (!link)
        return -NLE_NOMEM;
    rtnl_link_set_ifindex(link, ifindex);
    int err = rtnl_link_delete(sk, link);
    rtnl_link_put(link);
    return err;
}

/* RTM_SETLINK of the attributes `change` carries onto the link `ifindex`. */
static int change_link(struct nl_sock *sk, int ifindex, struct rtnl_link *change)
{
    struct rtnl_link *target = rtnl_link_alloc();
    if (!target)
        return -NLE_NOMEM;
    rtnl_link_set_ifindex(target, ifindex);
    int err = rtnl_link_change(sk, target, change, 0);
    rtnl_link_put(target);
    return err;
}

int oci_rtnl_link_set_up(struct nl_sock *sk, int ifindex)
{
    struct rtnl_link *change = rtnl_link_alloc();
    if (!change)
        return -NLE_NOMEM;
    rtnl_link_set_flags(change, IFF_UP);
    int err = change_link(sk, ifindex, change);
    rtnl_link_put(change);
    return err;
}

int oci_rtnl_link_set_master(struct nl_sock *sk, int ifindex, int master)
{
    struct rtnl_link *change = rtnl_link_alloc();
    if (!change)
        return -NLE_NOMEM;
    rtnl_link_set_master(change, master);
    int err = change_link(sk, ifindex, change);
    rtnl_link_put(change);
    return err;
}

/* Port flags travel as IFLA_PROTINFO of an AF_BRIDGE RTM_SETLINK. */
int oci_rtnl_bridge_port_hairpin(struct nl_sock *sk, int ifindex)
{
    struct rtnl_link *change = rtnl_link_alloc();
    if (!change)
        return -NLE_NOMEM;
    rtnl_link_set_family(change, AF_BRIDGE);
    int err = rtnl_link_bridge_set_flags(change, RTNL_BRIDGE_HAIRPIN_MODE);
    if (err == 0) {
        rtnl_link_set_ifindex(change, ifindex);
        err = rtnl_link_change(sk, change, change, 0);
    }
    rtnl_link_put(change);
    return err;
}

static int parse_ipv4(const char *text, struct nl_addr **out)
{
    return nl_addr_parse(text, AF_INET, out);
}

int oci_rtnl_addr_add(struct nl_sock *sk, int ifindex, const char *address, int prefixlen)
{
    struct nl_addr *local = NULL;
    int err = parse_ipv4(address, &local);
    if (err < 0)
        return err;
    struct rtnl_addr *addr = rtnl_addr_alloc();
    if (!addr) {
        nl_addr_put(local);
        return -NLE_NOMEM;
    }
    rtnl_addr_set_ifindex(addr, ifindex);
    rtnl_addr_set_local(addr, local);
    rtnl_addr_set_prefixlen(addr, prefixlen);
    err = rtnl_addr_add(sk, addr, 0);
    rtnl_addr_put(addr);
    nl_addr_put(local);
    return err == -NLE_EXIST ? 0 : err;
}

int oci_rtnl_default_route_add(struct nl_sock *sk, const char *gateway, int ifindex)
{
    struct nl_addr *via = NULL, *everywhere = NULL;
    int err = parse_ipv4(gateway, &via);
    if (err == 0)
        err = parse_ipv4("0.0.0.0/0", &everywhere);
    struct rtnl_route *route = err == 0 ? rtnl_route_alloc() : NULL;
    struct rtnl_nexthop *hop = route ? rtnl_route_nh_alloc() : NULL;
    if (err == 0 && !hop)
        err = -NLE_NOMEM;
    if (err == 0) {
        rtnl_route_set_family(route, AF_INET);
        rtnl_route_set_dst(route, everywhere);
        rtnl_route_nh_set_ifindex(hop, ifindex);
        rtnl_route_nh_set_gateway(hop, via);
        rtnl_route_add_nexthop(route, hop); /* the route owns the hop from here */
        err = rtnl_route_add(sk, route, NLM_F_EXCL);
    }
    if (route)
        rtnl_route_put(route);
    nl_addr_put(via);
    nl_addr_put(everywhere);
    return err;
}
