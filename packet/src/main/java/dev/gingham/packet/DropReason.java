package dev.gingham.packet;

/**
 * Why a frame was dropped: one registry with stable numeric codes.
 *
 * <p>Where Cilium has a drop reason for the same cause, the code and meaning are Cilium's (its
 * {@code DROP_*} values, 130..), so operators who know {@code cilium monitor} read Gingham's
 * counters without a table. Causes Cilium does not name get codes from 1000 up. A code is
 * never reused, even when its reason is retired: counters and flow logs outlive releases.
 *
 * <p>A program records a drop as the verdict {@code -code()} (see {@link Verdict}), so the hot
 * path moves plain ints, never enum references.
 */
public enum DropReason {
    // ---- Cilium's codes (bpf/lib/common.h DROP_*) -------------------------------------------
    INVALID_SOURCE_MAC(130, "Invalid source MAC: not the endpoint's"),
    INVALID_DESTINATION_MAC(131, "Invalid destination MAC"),
    INVALID_SOURCE_IP(132, "Invalid source IP: not the endpoint's (spoofed)"),
    POLICY(133, "Policy denied"),
    INVALID(134, "Invalid packet"),
    CT_INVALID_HEADER(135, "CT: truncated or invalid header"),
    FRAG_NEEDED(136, "Fragmentation needed"),
    CT_UNKNOWN_PROTOCOL(137, "CT: unknown L4 protocol"),
    UNKNOWN_L3(139, "Unsupported L3 protocol"),
    WRITE_ERROR(141, "Error writing to packet"),
    UNKNOWN_L4(142, "Unknown L4 protocol"),
    UNKNOWN_ICMP4_CODE(143, "Unknown ICMPv4 code"),
    UNKNOWN_ICMP4_TYPE(144, "Unknown ICMPv4 type"),
    UNKNOWN_ICMP6_CODE(145, "Unknown ICMPv6 code"),
    UNKNOWN_ICMP6_TYPE(146, "Unknown ICMPv6 type"),
    INVALID_GENEVE_OPTION(149, "Invalid Geneve option"),
    UNKNOWN_TARGET(150, "Unknown L3 target address"),
    UNROUTABLE(151, "Stale or unroutable IP"),
    NO_LOCAL_ENDPOINT(152, "No matching local endpoint found"),
    CSUM_L3(153, "Error while correcting L3 checksum"),
    CSUM_L4(154, "Error while correcting L4 checksum"),
    CT_CREATE_FAILED(155, "CT: map insertion failed"),
    INVALID_EXTENSION_HEADER(156, "Invalid IPv6 extension header"),
    FRAG_NOT_SUPPORTED(157, "IP fragmentation not supported"),
    NO_SERVICE(158, "Service backend not found"),
    NO_TUNNEL_ENDPOINT(160, "No tunnel/encapsulation endpoint"),
    UNKNOWN_CT_STATE(163, "Unknown connection tracking state"),
    HOST_UNREACHABLE(164, "Local host is unreachable"),
    NO_CONFIG(165, "No configuration available to perform policy decision"),
    UNSUPPORTED_L2(166, "Unsupported L2 protocol"),
    NAT_NO_MAPPING(167, "No mapping for NAT masquerade"),
    NAT_UNSUPPORTED_PROTOCOL(168, "Unsupported protocol for NAT masquerade"),
    NO_FIB(169, "FIB lookup failed"),
    ENCAP_PROHIBITED(170, "Encapsulation traffic is prohibited"),
    INVALID_IDENTITY(171, "Invalid identity"),
    UNKNOWN_SENDER(172, "Unknown sender"),
    IS_CLUSTER_IP(174, "Is a ClusterIP"),
    FRAG_NOT_FOUND(175, "First logical datagram fragment not found"),
    FORBIDDEN_ICMP6(176, "Forbidden ICMPv6 message"),
    NOT_IN_SOURCE_RANGE(177, "Denied by LB source range check"),
    POLICY_DENY(181, "Policy denied by denylist"),
    VLAN_FILTERED(182, "VLAN traffic disallowed by VLAN filter"),
    INVALID_VNI(183, "Incorrect VNI from VTEP"),
    NO_EGRESS_GATEWAY(194, "No egress gateway found"),
    TTL_EXCEEDED(196, "TTL exceeded"),
    RATE_LIMITED(198, "Rate limited"),
    NO_EGRESS_IP(204, "No egress IP configured"),

    // ---- Gingham's own codes, 1000 and up: the parser's precise reasons ---------------------
    FRAME_TOO_SHORT(1000, "Frame shorter than its Ethernet header (or VLAN tag)"),
    FRAME_TOO_LONG(1001, "Frame longer than the buffer or the port's maximum"),
    IPV4_TRUNCATED(1002, "IPv4 header does not fit in the frame"),
    IPV4_BAD_VERSION(1003, "IPv4 version field is not 4"),
    IPV4_BAD_HEADER_LENGTH(1004, "IPv4 IHL below 5 or beyond the total length"),
    IPV4_BAD_TOTAL_LENGTH(1005, "IPv4 total length below the header or beyond the frame"),
    IPV4_BAD_FRAGMENT(1006, "IPv4 fragment fields are inconsistent"),
    IPV4_BAD_OPTIONS(1007, "IPv4 options are malformed"),
    IPV6_TRUNCATED(1008, "IPv6 header does not fit in the frame"),
    IPV6_BAD_VERSION(1009, "IPv6 version field is not 6"),
    IPV6_BAD_PAYLOAD_LENGTH(1010, "IPv6 payload length beyond the frame"),
    L4_TRUNCATED(1011, "L4 header does not fit in the IP payload"),
    TCP_BAD_HEADER_LENGTH(1012, "TCP data offset below 5 or beyond the segment"),
    UDP_BAD_LENGTH(1013, "UDP length below 8 or different from the IP payload"),
    ARP_MALFORMED(1014, "ARP is not Ethernet/IPv4 or is truncated"),
    BAD_CHECKSUM(1015, "Checksum verification failed"),
    BUFFER_POOL_EXHAUSTED(1016, "No free buffer"),
    TX_FAILED(1017, "Transmit failed or the TX queue is full"),
    ICMP_EMBEDDED_INVALID(1018, "ICMP error carries an invalid embedded header"),
    IPV6_BAD_FRAGMENT(1019, "IPv6 fragment header is inconsistent"),
    NO_LOCAL_BACKEND(1020, "Service traffic policy is Local and this node has no backend"),
    SERVICE_UNSUPPORTED_PROTOCOL(1021, "Service frontend reached with a protocol it cannot balance (SCTP)"),

    // encap (1030-1049)
    TUNNEL_MODE_MISMATCH(1030, "Tunnel packet for a mode or UDP port this node is not configured for"),
    TUNNEL_TRUNCATED(1031, "Tunnel header or inner frame does not fit in the outer packet"),
    VXLAN_BAD_FLAGS(1032, "VXLAN I flag missing, or reserved flag or VNI bits set"),
    GENEVE_BAD_VERSION(1033, "Geneve version is not 0"),
    GENEVE_BAD_OPTIONS_LENGTH(1034, "Geneve options length runs past the packet"),
    GENEVE_BAD_PROTOCOL(1035, "Geneve protocol type is not Ethernet (0x6558)"),
    GENEVE_OAM(1036, "Geneve control (OAM) packet: no OAM handler"),

    // tap-driver (1050-1059)
    VNET_HEADER_INVALID(1050, "TAP virtio-net header has an unknown GSO type, a GSO size of 0, or checksum fields outside the frame"),

    // node pipeline (1070-1079)
    MULTICAST_NOT_ROUTED(1070, "Multicast or broadcast IP packet: not routed off the link"),
    ARP_UNEXPECTED(1071, "ARP reply or other ARP operation where only requests are answered"),
    GSO_MALFORMED(1072, "GSO frame whose request does not fit it: segment size 0, a GSO type that is not the frame's"
            + " family or protocol, an IP fragment, or headers past the frame"),
    GSO_TOO_MANY_SEGMENTS(1073, "GSO frame needs more segments than the frame vector has room for"),
    GSO_UDP_UNSUPPORTED(1074, "UDP fragmentation offload (GSO type UDP, UFO) is not segmented in software"),
    NEIGHBOUR_UNRESOLVED(1075, "Next hop on the underlay (a peer node or the underlay gateway) has no resolved MAC address yet"),
    ARP_REPLY_LEARNED(1076, "ARP reply to the node on the underlay: its sender was learned as a neighbour, and the reply is consumed"),

    // port output (1080-1084)
    TX_QUEUE_FULL(1080, "Output queue full: the TAP queue or the underlay socket's send buffer took no more (EAGAIN)"),
    TX_REJECTED(1081, "Output refused: the kernel rejected the frame (vnet header, length, device down) or the port is gone"),

    // IPv6 neighbor discovery (1100-1104)
    NDP_INVALID(1100, "Neighbor solicitation fails RFC 4861 validity checks (hop limit, code, length, options, target, DAD addressing)"),
    NDP_DAD_PROBE(1101, "Duplicate address detection probe (source ::) from a pod or the host: not answered, so the prober keeps its address"),
    NDP_ROUTER_SOLICITATION(1102, "Router solicitation: no router advertisements are sent (addresses and routes are configured statically)"),
    NDP_UNEXPECTED(1103, "Neighbor or router advertisement or redirect where only neighbor solicitations are answered"),
    LINK_SCOPE_NOT_ROUTED(1104, "IPv6 link-local or unspecified source, or link-local destination: never forwarded off its link");

    private static final DropReason[] BY_CODE;

    static {
        int max = 0;
        for (DropReason reason : values()) {
            max = Math.max(max, reason.code);
        }
        BY_CODE = new DropReason[max + 1];
        for (DropReason reason : values()) {
            if (BY_CODE[reason.code] != null) {
                throw new ExceptionInInitializerError("drop code " + reason.code + " used twice");
            }
            BY_CODE[reason.code] = reason;
        }
    }

    private final int code;
    private final String description;

    DropReason(int code, String description) {
        this.code = code;
        this.description = description;
    }

    /** Returns: the stable numeric code (positive). */
    public int code() {
        return code;
    }

    /** Returns: the verdict that records this drop: {@code -code()}. */
    public int verdict() {
        return -code;
    }

    /** Returns: a one-line explanation for CLI output and logs. */
    public String description() {
        return description;
    }

    /** Returns: the reason with that code, or null when no reason has it. */
    public static DropReason ofCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /** Returns: the largest code in use, for sizing per-reason counter arrays. */
    public static int maxCode() {
        return BY_CODE.length - 1;
    }
}
