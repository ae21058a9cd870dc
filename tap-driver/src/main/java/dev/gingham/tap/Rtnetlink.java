package dev.gingham.tap;

import dev.gingham.packet.Cidr;
import dev.gingham.packet.header.Addresses;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Link, address, route and neighbour configuration over an rtnetlink socket (AF_NETLINK,
 * NETLINK_ROUTE) built with java.lang.foreign: what {@code ip link/addr/route/neigh} do, without
 * running {@code ip}.
 *
 * <p>Namespaces: a netlink socket talks to the namespace it was created in, for its whole life.
 * {@link #open()} talks to the caller's namespace; {@link #openIn(String)} creates the socket
 * inside a named namespace through {@link NetworkNamespace#call} (the one class that calls
 * {@code setns}) and then works from any thread. Interface indexes are per namespace.
 *
 * <p>Every request asks for an acknowledgement; an NLMSG_ERROR with a non-zero error becomes a
 * {@link NetDeviceException} naming the request, the namespace, errno and the kernel's extended
 * ack text (NETLINK_EXT_ACK) when it gave one. Replies wait at most {@link #TIMEOUT_MS}
 * (SO_RCVTIMEO), so a lost reply cannot hang the control plane.
 *
 * <p>Control plane only: methods allocate, and are synchronized so one socket may be shared.
 */
public final class Rtnetlink implements AutoCloseable {
    /** Longest wait for a kernel reply. */
    public static final int TIMEOUT_MS = 5000;

    private static final int AF_UNSPEC = 0;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x8_0000;
    private static final int NETLINK_ROUTE = 0;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    private static final int SOL_NETLINK = 270;
    private static final int NETLINK_CAP_ACK = 10;
    private static final int NETLINK_EXT_ACK = 11;
    private static final int NLMSGERR_ATTR_MSG = 1;

    private static final int RTM_NEWLINK = 16;
    private static final int RTM_DELLINK = 17;
    private static final int RTM_GETLINK = 18;
    private static final int RTM_SETLINK = 19;
    private static final int RTM_NEWADDR = 20;
    private static final int RTM_GETADDR = 22;
    private static final int RTM_NEWROUTE = 24;
    private static final int RTM_NEWNEIGH = 28;

    private static final int IFLA_ADDRESS = 1;
    private static final int IFLA_IFNAME = 3;
    private static final int IFLA_MTU = 4;
    private static final int IFLA_LINKINFO = 18;
    private static final int IFLA_NET_NS_FD = 28;
    private static final int IFLA_EXT_MASK = 29;
    private static final int IFLA_INFO_KIND = 1;
    private static final int IFLA_INFO_DATA = 2;
    private static final int IFLA_TUN_TYPE = 3;
    private static final int IFLA_TUN_VNET_HDR = 5;
    private static final int IFLA_TUN_PERSIST = 6;
    private static final int IFLA_TUN_MULTI_QUEUE = 7;
    private static final int IFLA_TUN_NUM_QUEUES = 8;
    private static final int RTEXT_FILTER_SKIP_STATS = 1 << 3;
    private static final int IFF_TAP = 0x2;

    private static final int IFA_ADDRESS = 1;
    private static final int IFA_LOCAL = 2;
    /** IPv6: use the address at once, no duplicate address detection (nobody else is on a pod's TAP). */
    private static final int IFA_F_NODAD = 0x02;

    private static final int RTA_DST = 1;
    private static final int RTA_OIF = 4;
    private static final int RTA_GATEWAY = 5;
    private static final int RT_TABLE_MAIN = 254;
    private static final int RTPROT_STATIC = 4;
    private static final int RT_SCOPE_UNIVERSE = 0;
    private static final int RT_SCOPE_LINK = 253;
    private static final int RTN_UNICAST = 1;
    /** The gateway is on the link even though no address of the interface covers it. */
    private static final int RTNH_F_ONLINK = 4;

    private static final int RTM_NEWQDISC = 36;
    private static final int RTM_NEWTFILTER = 44;
    private static final int RTM_DELTFILTER = 45;
    private static final int TCA_KIND = 1;
    private static final int TCA_OPTIONS = 2;
    private static final int TCA_BPF_FD = 6;
    private static final int TCA_BPF_NAME = 7;
    private static final int TCA_BPF_FLAGS = 8;
    /** The BPF program's return value is the verdict (TC_ACT_SHOT...): no tc action module needed. */
    private static final int TCA_BPF_FLAG_ACT_DIRECT = 1;
    /** The clsact qdisc's parent and handle (TC_H_CLSACT, ffff:0). */
    private static final int TC_H_CLSACT = 0xFFFF_FFF1;
    private static final int CLSACT_HANDLE = 0xFFFF_0000;
    /** The ingress hook of clsact: TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS). */
    private static final int CLSACT_INGRESS = 0xFFFF_FFF2;
    /** htons(ETH_P_ALL) in the low 16 bits of tcm_info: the filter sees every protocol. */
    private static final int TC_PROTOCOL_ALL = 0x0300;

    private static final int NDA_DST = 1;
    private static final int NDA_LLADDR = 2;
    private static final int NUD_PERMANENT = 0x80;

    private static final int IFINFOMSG_BYTES = 16;
    private static final int IFADDRMSG_BYTES = 8;
    private static final int REQUEST_BYTES = 4096;
    private static final int REPLY_BYTES = 64 * 1024;

    private final int fd;
    private final String namespace;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.captureSegment(arena);
    private final MemorySegment request = arena.allocate(REQUEST_BYTES, 8);
    private final MemorySegment reply = arena.allocate(REPLY_BYTES, 8);
    private final NetlinkMessage message = new NetlinkMessage(request);
    private int sequence;
    private boolean closed;

    private Rtnetlink(int fd, String namespace) {
        this.fd = fd;
        this.namespace = namespace;
    }

    /** Opens a socket that configures the caller's network namespace. */
    public static Rtnetlink open() {
        return openIn(null);
    }

    /**
     * Opens a socket that configures network namespace {@code namespace} ({@code null}: the
     * caller's).
     *
     * @throws NetDeviceException NAMESPACE_MISSING, PERMISSION_DENIED, SYSTEM_ERROR
     */
    public static Rtnetlink openIn(String namespace) {
        int fd = NetworkNamespace.call(namespace, Rtnetlink::createSocket);
        return new Rtnetlink(fd, namespace);
    }

    private static int createSocket() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = Libc.captureSegment(a);
            int fd = Libc.socket(err, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
            if (fd < 0) {
                int e = Libc.errno(err);
                throw new NetDeviceException(NetDeviceException.Reason.SYSTEM_ERROR, e,
                        "cannot open a netlink socket: " + Libc.describe(e));
            }
            MemorySegment timeout = a.allocate(16);
            timeout.set(ValueLayout.JAVA_LONG, 0, TIMEOUT_MS / 1000);
            timeout.set(ValueLayout.JAVA_LONG, 8, (TIMEOUT_MS % 1000) * 1000L);
            MemorySegment one = a.allocateFrom(ValueLayout.JAVA_INT, 1);
            if (Libc.setsockopt(err, fd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16) != 0) {
                int e = Libc.errno(err);
                Libc.close(err, fd);
                throw new NetDeviceException(NetDeviceException.Reason.SYSTEM_ERROR, e,
                        "cannot set a receive timeout on the netlink socket: " + Libc.describe(e));
            }
            // Both are hints: an old kernel without them still acks, only with less detail.
            Libc.setsockopt(err, fd, SOL_NETLINK, NETLINK_EXT_ACK, one, 4);
            Libc.setsockopt(err, fd, SOL_NETLINK, NETLINK_CAP_ACK, one, 4);
            return fd;
        }
    }

    /** Returns: the namespace this socket configures, or null for the opener's own. */
    public String namespace() {
        return namespace;
    }

    // ---- links ------------------------------------------------------------------------------------

    /**
     * Returns: the interface named {@code name}.
     *
     * @throws NetDeviceException NO_SUCH_DEVICE when there is none
     */
    public synchronized LinkInfo link(String name) {
        LinkInfo info = findLink(name);
        if (info == null) {
            throw new NetDeviceException(NetDeviceException.Reason.NO_SUCH_DEVICE, Libc.ENODEV,
                    "no interface '" + name + "' in " + where());
        }
        return info;
    }

    /** Returns: the interface named {@code name}, or null when there is none. */
    public synchronized LinkInfo findLink(String name) {
        InterfaceName.validate(name);
        message.begin(RTM_GETLINK, NetlinkMessage.NLM_F_REQUEST, ++sequence);
        ifinfo(AF_UNSPEC, 0, 0, 0);
        message.attributeString(IFLA_IFNAME, name);
        message.attributeU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
        return queryLink("RTM_GETLINK " + name);
    }

    /**
     * Returns: the interface with index {@code ifindex}.
     *
     * @throws NetDeviceException NO_SUCH_DEVICE when there is none
     */
    public synchronized LinkInfo link(int ifindex) {
        message.begin(RTM_GETLINK, NetlinkMessage.NLM_F_REQUEST, ++sequence);
        ifinfo(AF_UNSPEC, ifindex, 0, 0);
        message.attributeU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
        LinkInfo info = queryLink("RTM_GETLINK ifindex " + ifindex);
        if (info == null) {
            throw new NetDeviceException(NetDeviceException.Reason.NO_SUCH_DEVICE, Libc.ENODEV,
                    "no interface with index " + ifindex + " in " + where());
        }
        return info;
    }

    /** Sets the interface administratively up or down. */
    public synchronized void setUp(int ifindex, boolean up) {
        message.begin(RTM_SETLINK, request(0), ++sequence);
        ifinfo(AF_UNSPEC, ifindex, up ? LinkInfo.IFF_UP : 0, LinkInfo.IFF_UP);
        execute("set link " + ifindex + (up ? " up" : " down"));
    }

    public synchronized void setMtu(int ifindex, int mtuBytes) {
        if (mtuBytes < 68 || mtuBytes > 65535) {
            throw new IllegalArgumentException("MTU " + mtuBytes + " bytes is outside 68..65535");
        }
        message.begin(RTM_SETLINK, request(0), ++sequence);
        ifinfo(AF_UNSPEC, ifindex, 0, 0);
        message.attributeU32(IFLA_MTU, mtuBytes);
        execute("set link " + ifindex + " mtu " + mtuBytes);
    }

    /** Sets the MAC address ({@code mac}: the low 48 bits). */
    public synchronized void setMac(int ifindex, long mac) {
        message.begin(RTM_SETLINK, request(0), ++sequence);
        ifinfo(AF_UNSPEC, ifindex, 0, 0);
        message.attribute(IFLA_ADDRESS, macBytes(mac));
        execute("set link " + ifindex + " address " + Addresses.formatMac(mac));
    }

    /**
     * Renames the interface (it must be down).
     *
     * @throws NetDeviceException NAME_IN_USE when another interface has the name
     */
    public synchronized void rename(int ifindex, String name) {
        InterfaceName.validate(name);
        message.begin(RTM_SETLINK, request(0), ++sequence);
        ifinfo(AF_UNSPEC, ifindex, 0, 0);
        message.attributeString(IFLA_IFNAME, name);
        try {
            execute("rename link " + ifindex + " to " + name);
        } catch (NetDeviceException e) {
            if (e.reason() == NetDeviceException.Reason.ALREADY_EXISTS) {
                throw new NetDeviceException(NetDeviceException.Reason.NAME_IN_USE, e.errno(),
                        "cannot rename link " + ifindex + " to '" + name + "': another interface in " + where()
                                + " has that name");
            }
            throw e;
        }
    }

    /**
     * Moves the interface into network namespace {@code target} (by name under
     * {@link NetworkNamespace#DIRECTORY}). It keeps its name there, and is down; its index there
     * may differ, so look it up by name with a socket opened in {@code target}. File descriptors
     * of a TAP keep working across the move.
     *
     * @throws NetDeviceException NAMESPACE_MISSING, NAME_IN_USE (the target has an interface of that name)
     */
    public synchronized void moveToNamespace(int ifindex, String target) {
        int nsFd = NetworkNamespace.open(target);
        try {
            message.begin(RTM_SETLINK, request(0), ++sequence);
            ifinfo(AF_UNSPEC, ifindex, 0, 0);
            message.attributeU32(IFLA_NET_NS_FD, nsFd);
            try {
                execute("move link " + ifindex + " into network namespace '" + target + "'");
            } catch (NetDeviceException e) {
                if (e.reason() == NetDeviceException.Reason.ALREADY_EXISTS) {
                    throw new NetDeviceException(NetDeviceException.Reason.NAME_IN_USE, e.errno(), e.getMessage()
                            + " (the namespace already has an interface of that name)");
                }
                throw e;
            }
        } finally {
            Libc.close(errno, nsFd);
        }
    }

    /** Deletes the interface (a TAP goes even while its file descriptors are open: they then fail). */
    public synchronized void deleteLink(int ifindex) {
        message.begin(RTM_DELLINK, request(0), ++sequence);
        ifinfo(AF_UNSPEC, ifindex, 0, 0);
        execute("delete link " + ifindex);
    }

    // ---- addresses, routes, neighbours --------------------------------------------------------------

    /**
     * Adds {@code address} (address and prefix length, e.g. 10.244.1.5/32) to the interface.
     * IPv6 addresses are added without duplicate address detection (IFA_F_NODAD): a pod's TAP
     * has no other station, and DAD would hold the address back for about a second.
     *
     * @throws NetDeviceException ALREADY_EXISTS when the interface has it already
     */
    public synchronized void addAddress(int ifindex, Cidr address) {
        encodeAddAddress(message, ++sequence, ifindex, address);
        execute("add address " + address + " to link " + ifindex);
    }

    /**
     * Returns: the addresses of the interface (IPv4 and IPv6, with their prefix lengths), as
     * {@code ip -o addr show dev X} lists them: a dump of RTM_GETADDR filtered by index. What a
     * CNI CHECK compares against the addresses ADD configured.
     */
    public synchronized List<Cidr> addresses(int ifindex) {
        message.begin(RTM_GETADDR, NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_DUMP, ++sequence);
        message.u8(AF_UNSPEC).u8(0).u8(0).u8(0).u32(0);
        String what = "list addresses of link " + ifindex;
        send(what);
        List<Cidr> found = new ArrayList<>();
        while (true) {
            long n = receive(what);
            for (long at = 0; at + NetlinkMessage.HEADER_BYTES <= n; ) {
                int length = NetlinkMessage.messageLength(reply, at);
                if (length < NetlinkMessage.HEADER_BYTES || at + length > n) {
                    break;
                }
                if (NetlinkMessage.messageSequence(reply, at) == sequence) {
                    int type = NetlinkMessage.messageType(reply, at);
                    if (type == NetlinkMessage.NLMSG_DONE) {
                        return found;
                    }
                    if (type == NetlinkMessage.NLMSG_ERROR) {
                        int error = -NetlinkMessage.u32(reply, at + NetlinkMessage.HEADER_BYTES);
                        if (error != 0) {
                            throw failure(what, error, extendedAckText(at, length));
                        }
                        return found;
                    }
                    if (type == RTM_NEWADDR) {
                        Cidr address = parseAddress(at, length, ifindex);
                        if (address != null) {
                            found.add(address);
                        }
                    }
                }
                at += NetlinkMessage.align(length);
            }
        }
    }

    /** Returns: the address of one RTM_NEWADDR message when it belongs to {@code ifindex}, else null. */
    private Cidr parseAddress(long at, int length, int ifindex) {
        long ifa = at + NetlinkMessage.HEADER_BYTES;
        int family = NetlinkMessage.u8(reply, ifa);
        int prefixLength = NetlinkMessage.u8(reply, ifa + 1);
        if (NetlinkMessage.u32(reply, ifa + 4) != ifindex || (family != AF_INET && family != AF_INET6)) {
            return null;
        }
        long attribute = NetlinkMessage.find(reply, ifa + IFADDRMSG_BYTES, at + length, IFA_LOCAL);
        if (attribute < 0) {
            attribute = NetlinkMessage.find(reply, ifa + IFADDRMSG_BYTES, at + length, IFA_ADDRESS);
        }
        if (attribute < 0) {
            return null;
        }
        long value = attribute + NetlinkMessage.ATTRIBUTE_HEADER_BYTES;
        if (family == AF_INET) {
            int v4 = 0;
            for (int i = 0; i < 4; i++) {
                v4 = v4 << 8 | NetlinkMessage.u8(reply, value + i);
            }
            return Cidr.ipv4(v4, prefixLength);
        }
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = hi << 8 | NetlinkMessage.u8(reply, value + i);
            lo = lo << 8 | NetlinkMessage.u8(reply, value + 8 + i);
        }
        return new Cidr(false, hi, lo, prefixLength);
    }

    /**
     * Adds a route to {@code destination} out of the interface, via {@code gateway} (a host
     * address, /32 or /128; null for a directly connected route). {@code onlink} declares the
     * gateway reachable on the link although no address of the interface covers it: a pod's
     * /32 never covers its gateway.
     *
     * @throws NetDeviceException ALREADY_EXISTS when the route exists
     */
    public synchronized void addRoute(int ifindex, Cidr destination, Cidr gateway, boolean onlink) {
        encodeAddRoute(message, ++sequence, ifindex, destination, gateway, onlink);
        execute("add route " + destination.masked() + (gateway == null ? "" : " via " + gateway)
                + (onlink ? " onlink" : "") + " dev " + ifindex);
    }

    /**
     * Runs an add ({@link #addAddress}, {@link #addRoute}, ...) whose target may exist already:
     * ALREADY_EXISTS is not an error here (re-configuring an interface a previous daemon set up);
     * every other failure is thrown.
     *
     * @param keepExisting false: run the add as it is, ALREADY_EXISTS included
     */
    public static void addUnlessPresent(boolean keepExisting, Runnable addition) {
        try {
            addition.run();
        } catch (NetDeviceException e) {
            if (!keepExisting || e.reason() != NetDeviceException.Reason.ALREADY_EXISTS) {
                throw e;
            }
        }
    }

    /** Adds the default route (0.0.0.0/0 or ::/0) via {@code gateway}, onlink: what a pod needs. */
    public void addDefaultRoute(int ifindex, Cidr gateway) {
        addRoute(ifindex, gateway.ipv4() ? Cidr.parse("0.0.0.0/0") : Cidr.parse("::/0"), gateway, true);
    }

    /** Adds or replaces a permanent neighbour (ARP / NDP) entry: {@code address} is at {@code mac}. */
    public synchronized void addNeighbour(int ifindex, Cidr address, long mac) {
        message.begin(RTM_NEWNEIGH, request(NetlinkMessage.NLM_F_CREATE | NetlinkMessage.NLM_F_REPLACE), ++sequence);
        message.u8(address.ipv4() ? AF_INET : AF_INET6).u8(0).u16(0).u32(ifindex).u16(NUD_PERMANENT).u8(0).u8(RTN_UNICAST);
        message.attribute(NDA_DST, addressBytes(address));
        message.attribute(NDA_LLADDR, macBytes(mac));
        execute("add neighbour " + address + " lladdr " + Addresses.formatMac(mac)
                + " dev " + ifindex);
    }

    // ---- traffic control: a BPF classifier on a device's ingress --------------------------------------

    /**
     * Adds a clsact qdisc to the interface (the hook point of ingress and egress classifiers, as
     * {@code tc qdisc add dev X clsact}). Returns: false when it has one already (ours from an
     * earlier run, or another program's: classifiers share it).
     */
    public synchronized boolean addClsact(int ifindex) {
        encodeAddClsact(message, ++sequence, ifindex);
        try {
            execute("add clsact qdisc to link " + ifindex);
            return true;
        } catch (NetDeviceException e) {
            if (e.reason() == NetDeviceException.Reason.ALREADY_EXISTS) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Adds or replaces the direct-action BPF classifier {@code (priority, handle)} on the
     * interface's clsact ingress hook, for every protocol: {@code tc filter replace dev X ingress
     * prio P handle H bpf da fd F}. The filter keeps its own reference to the program.
     */
    public synchronized void replaceIngressBpf(int ifindex, int priority, int handle, int programFd, String name) {
        encodeReplaceIngressBpf(message, ++sequence, ifindex, priority, handle, programFd, name);
        execute("attach BPF classifier '" + name + "' to the ingress of link " + ifindex);
    }

    /** Deletes the classifier {@link #replaceIngressBpf} attached (the clsact qdisc stays; others may use it). */
    public synchronized void deleteIngressBpf(int ifindex, int priority, int handle) {
        encodeTfilter(message, RTM_DELTFILTER, request(0), ++sequence, ifindex, priority, handle);
        message.attributeString(TCA_KIND, "bpf");
        execute("delete BPF classifier prio " + priority + " from the ingress of link " + ifindex);
    }

    // ---- encodings (package-private: checked byte for byte in RtnetlinkEncodingTest) ----------------------

    /** RTM_NEWQDISC (create, exclusive): tcmsg for clsact (handle ffff:0, parent clsact), TCA_KIND "clsact". */
    static void encodeAddClsact(NetlinkMessage m, int sequence, int ifindex) {
        m.begin(RTM_NEWQDISC, request(NetlinkMessage.NLM_F_CREATE | NetlinkMessage.NLM_F_EXCL), sequence);
        tcmsg(m, ifindex, CLSACT_HANDLE, TC_H_CLSACT, 0);
        m.attributeString(TCA_KIND, "clsact");
        m.finish();
    }

    /** RTM_NEWTFILTER (create, replace): the ingress hook, TCA_KIND "bpf", TCA_OPTIONS {fd, name, direct action}. */
    static void encodeReplaceIngressBpf(NetlinkMessage m, int sequence, int ifindex, int priority, int handle, int programFd,
                                        String name) {
        encodeTfilter(m, RTM_NEWTFILTER, request(NetlinkMessage.NLM_F_CREATE | NetlinkMessage.NLM_F_REPLACE), sequence,
                ifindex, priority, handle);
        m.attributeString(TCA_KIND, "bpf");
        int options = m.beginNested(TCA_OPTIONS);
        m.attributeU32(TCA_BPF_FD, programFd);
        m.attributeString(TCA_BPF_NAME, name);
        m.attributeU32(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
        m.endNested(options);
        m.finish();
    }

    private static void encodeTfilter(NetlinkMessage m, int type, int flags, int sequence, int ifindex, int priority, int handle) {
        if (priority < 1 || priority > 0xFFFF) {
            throw new IllegalArgumentException("filter priority must be 1..65535, got " + priority);
        }
        m.begin(type, flags, sequence);
        tcmsg(m, ifindex, handle, CLSACT_INGRESS, priority << 16 | TC_PROTOCOL_ALL);
    }

    /** struct tcmsg: family, two pad bytes, ifindex, handle, parent, info. */
    private static void tcmsg(NetlinkMessage m, int ifindex, int handle, int parent, int info) {
        m.u8(AF_UNSPEC).u8(0).u16(0).u32(ifindex).u32(handle).u32(parent).u32(info);
    }

    /** RTM_NEWADDR (create, exclusive): ifaddrmsg, IFA_LOCAL and IFA_ADDRESS both the address. */
    static void encodeAddAddress(NetlinkMessage m, int sequence, int ifindex, Cidr address) {
        m.begin(RTM_NEWADDR, request(NetlinkMessage.NLM_F_CREATE | NetlinkMessage.NLM_F_EXCL), sequence);
        m.u8(address.ipv4() ? AF_INET : AF_INET6).u8(address.prefixLength())
                .u8(address.ipv4() ? 0 : IFA_F_NODAD).u8(RT_SCOPE_UNIVERSE).u32(ifindex);
        byte[] bytes = addressBytes(address);
        m.attribute(IFA_LOCAL, bytes);
        m.attribute(IFA_ADDRESS, bytes);
        m.finish();
    }

    /** RTM_NEWROUTE (create, exclusive) in the main table: rtmsg, RTA_DST unless /0, RTA_GATEWAY, RTA_OIF. */
    static void encodeAddRoute(NetlinkMessage m, int sequence, int ifindex, Cidr destination, Cidr gateway,
                               boolean onlink) {
        if (gateway != null && (gateway.ipv4() != destination.ipv4()
                || gateway.prefixLength() != (gateway.ipv4() ? 32 : 128))) {
            throw new IllegalArgumentException("gateway " + gateway + " must be a host address of the same family as "
                    + destination);
        }
        m.begin(RTM_NEWROUTE, request(NetlinkMessage.NLM_F_CREATE | NetlinkMessage.NLM_F_EXCL), sequence);
        m.u8(destination.ipv4() ? AF_INET : AF_INET6).u8(destination.prefixLength()).u8(0).u8(0)
                .u8(RT_TABLE_MAIN).u8(RTPROT_STATIC).u8(gateway == null ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE)
                .u8(RTN_UNICAST).u32(onlink ? RTNH_F_ONLINK : 0);
        if (destination.prefixLength() > 0) {
            m.attribute(RTA_DST, addressBytes(destination.masked()));
        }
        if (gateway != null) {
            m.attribute(RTA_GATEWAY, addressBytes(gateway));
        }
        m.attributeU32(RTA_OIF, ifindex);
        m.finish();
    }

    // ---- message plumbing -----------------------------------------------------------------------------

    private static int request(int extraFlags) {
        return NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_ACK | extraFlags;
    }

    private void ifinfo(int family, int ifindex, int flags, int change) {
        message.u8(family).u8(0).u16(0).u32(ifindex).u32(flags).u32(change);
    }

    /** Returns: the six bytes of a MAC held in the low 48 bits of {@code mac}. */
    private static byte[] macBytes(long mac) {
        byte[] bytes = new byte[6];
        for (int i = 0; i < 6; i++) {
            bytes[i] = (byte) (mac >>> (40 - 8 * i));
        }
        return bytes;
    }

    /** Returns: the address bytes of a prefix in network order (4 or 16). */
    static byte[] addressBytes(Cidr address) {
        byte[] bytes = new byte[address.ipv4() ? 4 : 16];
        if (address.ipv4()) {
            int v4 = address.v4();
            for (int i = 0; i < 4; i++) {
                bytes[i] = (byte) (v4 >>> (24 - 8 * i));
            }
        } else {
            for (int i = 0; i < 8; i++) {
                bytes[i] = (byte) (address.hi() >>> (56 - 8 * i));
                bytes[8 + i] = (byte) (address.lo() >>> (56 - 8 * i));
            }
        }
        return bytes;
    }

    private String where() {
        return namespace == null ? "this process's network namespace" : "network namespace '" + namespace + "'";
    }

    private static final long ACKED = -1;
    private static final long NOT_FOUND = -2;

    /** Sends the request built in {@link #message} and waits for its acknowledgement. */
    private void execute(String what) {
        send(what);
        while (receiveMessageFor(what) != ACKED) {
            // a data reply to a request that only wants an ack: skip it
        }
    }

    /** Sends the GET built in {@link #message}; returns the reply parsed, or null when there is no such link. */
    private LinkInfo queryLink(String what) {
        send(what);
        while (true) {
            long at = receiveMessageFor(what);
            if (at == ACKED || at == NOT_FOUND) {
                return null;
            }
            if (NetlinkMessage.messageType(reply, at) == RTM_NEWLINK) {
                return parseLink(at);
            }
        }
    }

    private void send(String what) {
        ensureOpen();
        int length = message.finish();
        if (Libc.send(errno, fd, request, length, 0) != length) {
            throw failure(what, Libc.errno(errno), null);
        }
    }

    /**
     * Reads replies until one answers the current sequence number. Returns: its offset in
     * {@link #reply} for a data message, {@link #ACKED} for an ack, {@link #NOT_FOUND} for
     * ENODEV; throws for any other error.
     */
    private long receiveMessageFor(String what) {
        while (true) {
            long n = receive(what);
            long at = 0;
            while (at + NetlinkMessage.HEADER_BYTES <= n) {
                int length = NetlinkMessage.messageLength(reply, at);
                if (length < NetlinkMessage.HEADER_BYTES || at + length > n) {
                    break;
                }
                if (NetlinkMessage.messageSequence(reply, at) == sequence) {
                    int type = NetlinkMessage.messageType(reply, at);
                    if (type == NetlinkMessage.NLMSG_ERROR) {
                        int error = -NetlinkMessage.u32(reply, at + NetlinkMessage.HEADER_BYTES);
                        if (error == 0) {
                            return ACKED;
                        }
                        if (error == Libc.ENODEV && message.type() == RTM_GETLINK) {
                            return NOT_FOUND;
                        }
                        throw failure(what, error, extendedAckText(at, length));
                    }
                    if (type != NetlinkMessage.NLMSG_DONE) {
                        return at;
                    }
                }
                at += NetlinkMessage.align(length);
            }
        }
    }

    /**
     * Reads one datagram of replies into {@link #reply}. Returns: its length. EINTR is retried; no
     * reply within {@link #TIMEOUT_MS} and any other error throw, naming {@code what}.
     */
    private long receive(String what) {
        while (true) {
            long n = Libc.recv(errno, fd, reply, REPLY_BYTES, 0);
            if (n >= 0) {
                return n;
            }
            int e = Libc.errno(errno);
            if (e != Libc.EINTR) {
                throw e == Libc.EAGAIN
                        ? new NetDeviceException(NetDeviceException.Reason.SYSTEM_ERROR, e,
                        what + " in " + where() + ": no reply from the kernel within " + TIMEOUT_MS + " ms")
                        : failure(what, e, null);
            }
        }
    }

    /** Returns: NLMSGERR_ATTR_MSG of an extended ack, or null. */
    private String extendedAckText(long at, int length) {
        if ((NetlinkMessage.messageFlags(reply, at) & NetlinkMessage.NLM_F_ACK_TLVS) == 0) {
            return null;
        }
        // error code (4) and the echoed request: only its header with NETLINK_CAP_ACK
        long echoed = at + NetlinkMessage.HEADER_BYTES + 4;
        int echoedLength = NetlinkMessage.messageLength(reply, echoed);
        boolean capped = (NetlinkMessage.messageFlags(reply, at) & NetlinkMessage.NLM_F_CAPPED) != 0;
        long attributes = echoed + (capped ? NetlinkMessage.HEADER_BYTES : NetlinkMessage.align(echoedLength));
        long text = NetlinkMessage.find(reply, attributes, at + length, NLMSGERR_ATTR_MSG);
        if (text < 0) {
            return null;
        }
        return NetlinkMessage.string(reply, text + NetlinkMessage.ATTRIBUTE_HEADER_BYTES,
                NetlinkMessage.attributeLength(reply, text) - NetlinkMessage.ATTRIBUTE_HEADER_BYTES);
    }

    private NetDeviceException failure(String what, int e, String kernelText) {
        NetDeviceException.Reason reason = switch (e) {
            case Libc.EPERM, Libc.EACCES -> NetDeviceException.Reason.PERMISSION_DENIED;
            case Libc.ENODEV -> NetDeviceException.Reason.NO_SUCH_DEVICE;
            case Libc.EEXIST -> NetDeviceException.Reason.ALREADY_EXISTS;
            default -> NetDeviceException.Reason.SYSTEM_ERROR;
        };
        String hint = reason == NetDeviceException.Reason.PERMISSION_DENIED ? " (needs CAP_NET_ADMIN)" : "";
        return new NetDeviceException(reason, e, what + " in " + where() + " failed: " + Libc.describe(e) + hint
                + (kernelText == null || kernelText.isEmpty() ? "" : "; kernel says: " + kernelText));
    }

    private LinkInfo parseLink(long at) {
        int length = NetlinkMessage.messageLength(reply, at);
        long info = at + NetlinkMessage.HEADER_BYTES;
        int ifindex = NetlinkMessage.u32(reply, info + 4);
        int flags = NetlinkMessage.u32(reply, info + 8);
        long from = info + IFINFOMSG_BYTES;
        long to = at + length;
        String name = "";
        long mac = 0;
        int mtu = 0;
        String kind = "";
        LinkInfo.Tun tun = null;
        long a = NetlinkMessage.find(reply, from, to, IFLA_IFNAME);
        if (a >= 0) {
            name = NetlinkMessage.string(reply, a + 4, NetlinkMessage.attributeLength(reply, a) - 4);
        }
        a = NetlinkMessage.find(reply, from, to, IFLA_ADDRESS);
        if (a >= 0 && NetlinkMessage.attributeLength(reply, a) - 4 == 6) {
            for (int i = 0; i < 6; i++) {
                mac = mac << 8 | NetlinkMessage.u8(reply, a + 4 + i);
            }
        }
        a = NetlinkMessage.find(reply, from, to, IFLA_MTU);
        if (a >= 0) {
            mtu = NetlinkMessage.u32(reply, a + 4);
        }
        long linkInfo = NetlinkMessage.find(reply, from, to, IFLA_LINKINFO);
        if (linkInfo >= 0) {
            long infoEnd = linkInfo + NetlinkMessage.attributeLength(reply, linkInfo);
            long k = NetlinkMessage.find(reply, linkInfo + 4, infoEnd, IFLA_INFO_KIND);
            if (k >= 0) {
                kind = NetlinkMessage.string(reply, k + 4, NetlinkMessage.attributeLength(reply, k) - 4);
            }
            long data = NetlinkMessage.find(reply, linkInfo + 4, infoEnd, IFLA_INFO_DATA);
            if ("tun".equals(kind) && data >= 0) {
                long dataEnd = data + NetlinkMessage.attributeLength(reply, data);
                tun = new LinkInfo.Tun(u8Attribute(data + 4, dataEnd, IFLA_TUN_TYPE) == IFF_TAP,
                        u8Attribute(data + 4, dataEnd, IFLA_TUN_VNET_HDR) != 0,
                        u8Attribute(data + 4, dataEnd, IFLA_TUN_PERSIST) != 0,
                        u8Attribute(data + 4, dataEnd, IFLA_TUN_MULTI_QUEUE) != 0,
                        u32Attribute(data + 4, dataEnd, IFLA_TUN_NUM_QUEUES));
            }
        }
        return new LinkInfo(ifindex, name, mac, mtu, flags, kind, tun);
    }

    private int u8Attribute(long from, long to, int type) {
        long a = NetlinkMessage.find(reply, from, to, type);
        return a < 0 ? 0 : NetlinkMessage.u8(reply, a + 4);
    }

    private int u32Attribute(long from, long to, int type) {
        long a = NetlinkMessage.find(reply, from, to, type);
        return a < 0 ? 0 : NetlinkMessage.u32(reply, a + 4);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("netlink socket for " + where() + " is closed");
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Libc.close(errno, fd);
            arena.close();
        }
    }
}
