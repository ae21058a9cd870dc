package dev.gingham.dataplane.fuzz;

import dev.gingham.packet.header.EthernetHeader;
import dev.gingham.packet.header.Ipv4Header;

/**
 * Writes valid frames of every shape the dataplane meets, with random but well-formed contents:
 * Ethernet with and without an 802.1Q tag, ARP, IPv4 with options, IPv6 with extension-header
 * chains, TCP with options, UDP (IPv4 sometimes without checksum), ICMP and ICMPv6 echo, ICMP
 * errors quoting a datagram (sane quotes, and bogus ones: wrong version, cut or nonsensical
 * headers, errors about errors, later fragments), neighbour discovery, SCTP, fragments (first,
 * middle, last, and offsets that overlap other fragments of the same small set of ids), VXLAN,
 * VXLAN in VXLAN, Geneve with options, IPIP and 6in4 with a whole inner packet, and other IP
 * protocols with random payloads. "Valid" means the parser accepts it and every checksum
 * that can be checked is right; the {@link FrameMutator} breaks them afterwards.
 *
 * <p>Everything comes from the {@link FuzzRandom} given, so a seed gives the same frame; nothing
 * is allocated per frame.
 */
public final class FrameGenerator {
    public static final int ETHERNET_OTHER = 0;
    public static final int ARP = 1;
    public static final int IPV4_TCP = 2;
    public static final int IPV4_UDP = 3;
    public static final int IPV4_ICMP_ECHO = 4;
    public static final int IPV4_ICMP_ERROR = 5;
    public static final int IPV4_SCTP = 6;
    public static final int IPV4_OTHER = 7;
    public static final int IPV4_FRAGMENT = 8;
    public static final int IPV6_TCP = 9;
    public static final int IPV6_UDP = 10;
    public static final int IPV6_ICMP_ECHO = 11;
    public static final int IPV6_ICMP_ERROR = 12;
    public static final int IPV6_SCTP = 13;
    public static final int IPV6_FRAGMENT = 14;
    public static final int IPV6_NEIGHBOR = 15;
    public static final int VXLAN = 16;
    public static final int VXLAN_IN_VXLAN = 17;
    public static final int GENEVE = 18;
    /** Number of shapes. */
    public static final int SHAPES = 19;
    /** Shapes an overlay may carry inside (everything but tunnels). */
    private static final int INNER_SHAPES = VXLAN;

    private static final String[] NAMES = {"ethernet-other", "arp", "ipv4-tcp", "ipv4-udp", "ipv4-icmp-echo",
            "ipv4-icmp-error", "ipv4-sctp", "ipv4-other", "ipv4-fragment", "ipv6-tcp", "ipv6-udp", "ipv6-icmp-echo",
            "ipv6-icmp-error", "ipv6-sctp", "ipv6-fragment", "ipv6-neighbor", "vxlan", "vxlan-in-vxlan", "geneve"};

    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int ICMP = 1;
    private static final int ICMPV6 = 58;
    private static final int SCTP = 132;
    private static final int IPIP = 4;
    private static final int IPV6_IN_IPV4 = 41;
    private static final int HOP_BY_HOP = 0;
    private static final int ROUTING = 43;
    private static final int FRAGMENT = 44;
    private static final int AH = 51;
    private static final int DEST_OPTIONS = 60;
    /** EtherTypes the parser passes on unparsed (LLDP, MPLS, 802.3 lengths, ...); QinQ is left to the mutator: it is a drop. */
    private static final int[] OTHER_ETHER_TYPES = {0x88CC, 0x8847, 0x0600, 0x05DC, 0x86DD + 1, 0x9000, 0x8863};
    private static final int[] OTHER_PROTOCOLS = {0, 2, 4, 41, 47, 50, 51, 89, 103, 112, 255};
    private static final int[] EXTENSIONS = {DEST_OPTIONS, ROUTING, AH, DEST_OPTIONS};
    private static final int[] ICMP4_ERRORS = {3, 3, 3, 11, 12, 4, 5};
    private static final int[] ICMP6_ERRORS = {1, 1, 2, 3, 4};
    private static final int[] FRAGMENT_IDS = {1, 2, 3, 0xFFFF};
    /** Offsets (bytes) of middle and last fragments; small ones overlap first fragments of the same id. */
    private static final int[] FRAGMENT_OFFSETS = {8, 16, 24, 64, 512, 1472, 1480, 2960, 8192, 65_000};
    private static final int[] TCP_FLAGS = {0x02, 0x12, 0x10, 0x18, 0x11, 0x14, 0x04, 0x01, 0x19, 0xC2};
    private static final int[] VXLAN_PORTS = {8472, 4789};
    private static final int[] QUOTED_V4 = {TCP, UDP, ICMP, SCTP};
    private static final int[] QUOTED_V6 = {TCP, UDP, ICMPV6, SCTP};
    private static final int[] FRAGMENTED_V4 = {TCP, UDP, ICMP};
    private static final int[] FRAGMENTED_V6 = {TCP, UDP, ICMPV6};

    private final FuzzAddresses addresses;
    private final long[] v6 = new long[4];
    private final int[] chain = new int[8];

    public FrameGenerator(FuzzAddresses addresses) {
        this.addresses = addresses;
    }

    /** Returns: a shape's name for reports ("ipv4-icmp-error"). */
    public static String shapeName(int shape) {
        return NAMES[shape];
    }

    /** Writes a valid frame of a random shape into the begun writer and finishes it; returns the shape. */
    public int generate(FrameWriter w, FuzzRandom r) {
        int shape = r.nextInt(SHAPES);
        generate(shape, w, r);
        return shape;
    }

    /** Writes a valid frame of {@code shape} into the begun writer and finishes it. */
    public void generate(int shape, FrameWriter w, FuzzRandom r) {
        frame(shape, w, r);
        w.finish();
    }

    private void frame(int shape, FrameWriter w, FuzzRandom r) {
        switch (shape) {
            case ETHERNET_OTHER -> {
                ethernet(w, r, r.pick(OTHER_ETHER_TYPES));
                w.randomBytes(r.nextInt(100), r);
            }
            case ARP -> {
                boolean request = r.chance(50);
                ethernet(w, r, EthernetHeader.ETHER_TYPE_ARP);
                w.arp(request ? 1 : 2, addresses.mac(r), addresses.ipv4(r), request ? 0 : addresses.mac(r), addresses.ipv4(r));
            }
            case IPV4_TCP, IPV4_UDP, IPV4_ICMP_ECHO, IPV4_SCTP -> {
                int protocol = shape == IPV4_TCP ? TCP : shape == IPV4_UDP ? UDP : shape == IPV4_SCTP ? SCTP : ICMP;
                ethernet(w, r, EthernetHeader.ETHER_TYPE_IPV4);
                ipv4(w, r, protocol, 0, addresses.ipv4(r), addresses.ipv4(r));
                transport(w, r, protocol, false);
                if (protocol != SCTP) { // SCTP's chunks are its payload
                    payload(w, r);
                }
            }
            case IPV6_TCP, IPV6_UDP, IPV6_ICMP_ECHO, IPV6_SCTP -> {
                int protocol = shape == IPV6_TCP ? TCP : shape == IPV6_UDP ? UDP : shape == IPV6_SCTP ? SCTP : ICMPV6;
                ethernet(w, r, EthernetHeader.ETHER_TYPE_IPV6);
                ipv6(w, r, protocol, true);
                transport(w, r, protocol, true);
                if (protocol != SCTP) {
                    payload(w, r);
                }
            }
            case IPV4_OTHER -> {
                int protocol = r.pick(OTHER_PROTOCOLS);
                ethernet(w, r, EthernetHeader.ETHER_TYPE_IPV4);
                ipv4(w, r, protocol, 0, addresses.ipv4(r), addresses.ipv4(r));
                if (protocol == IPIP || protocol == IPV6_IN_IPV4) { // IPIP and 6in4 carry a whole IP packet
                    int inner = r.pick(protocol == IPIP ? FRAGMENTED_V4 : FRAGMENTED_V6);
                    if (protocol == IPIP) {
                        ipv4(w, r, inner, 0, addresses.ipv4(r), addresses.ipv4(r));
                    } else {
                        ipv6(w, r, inner, true);
                    }
                    transport(w, r, inner, protocol == IPV6_IN_IPV4);
                }
                payload(w, r);
            }
            case IPV4_ICMP_ERROR -> icmp4Error(w, r);
            case IPV6_ICMP_ERROR -> icmp6Error(w, r);
            case IPV4_FRAGMENT -> fragment4(w, r);
            case IPV6_FRAGMENT -> fragment6(w, r);
            case IPV6_NEIGHBOR -> neighbor(w, r);
            case VXLAN, VXLAN_IN_VXLAN, GENEVE -> tunnel(shape, w, r);
            default -> throw new IllegalArgumentException("shape " + shape);
        }
    }

    // ---- layers ---------------------------------------------------------------------------------------

    private void ethernet(FrameWriter w, FuzzRandom r, int etherType) {
        long dst = addresses.mac(r);
        long src = addresses.mac(r) & ~0x0100_0000_0000L; // a source MAC is never multicast
        if (r.chance(20)) {
            w.ethernetVlan(dst, src, r.nextInt(0x10000), etherType);
        } else {
            w.ethernet(dst, src, etherType);
        }
    }

    /** An IPv4 header, with options a quarter of the time. */
    private void ipv4(FrameWriter w, FuzzRandom r, int protocol, int flagsAndOffset, int src, int dst) {
        int optionWords = r.chance(25) ? r.between(1, 10) : 0;
        int flags = flagsAndOffset | (flagsAndOffset == 0 && r.chance(50) ? Ipv4Header.FLAG_DF : 0);
        int ttl = r.chance(90) ? r.between(2, 255) : 1;
        w.ipv4(r.nextInt(256), r.nextInt(0x10000), flags, ttl, protocol, src, dst, optionWords);
        if (optionWords > 0) {
            ipv4Options(w, r, w.start(w.layers() - 1) + 20, optionWords * 4);
        }
    }

    /**
     * Fills an IPv4 options area with well-formed options (RFC 791): NOP, Router Alert (RFC
     * 2113), Record Route and Timestamp with empty slots; an End of Option List leaves the rest zero.
     */
    private void ipv4Options(FrameWriter w, FuzzRandom r, int at, int bytes) {
        int p = 0;
        while (p < bytes) {
            int left = bytes - p;
            int choice = r.nextInt(4);
            if (choice == 1 && left >= 4) {
                w.u32(at + p, 0x9404_0000);
                p += 4;
            } else if (choice == 2 && left >= 7) {
                int slots = Math.min((left - 3) / 4, r.between(1, 4));
                w.u8(at + p, 7);
                w.u8(at + p + 1, 3 + 4 * slots);
                w.u8(at + p + 2, 4); // pointer to the first free slot
                p += 3 + 4 * slots;
            } else if (choice == 3 && left >= 8) {
                int slots = Math.min((left - 4) / 4, r.between(1, 4));
                w.u8(at + p, 68);
                w.u8(at + p + 1, 4 + 4 * slots);
                w.u8(at + p + 2, 5);
                p += 4 + 4 * slots; // overflow 0, flag 0: timestamps only
            } else if (r.chance(20)) {
                return; // End of Option List: the rest stays zero
            } else {
                w.u8(at + p, 1); // NOP
                p++;
            }
        }
    }

    /** An IPv6 header, with a chain of extension headers 30% of the time when {@code extensions}. */
    private void ipv6(FrameWriter w, FuzzRandom r, int protocol, boolean extensions) {
        addresses.ipv6(r, v6, 0);
        addresses.ipv6(r, v6, 2);
        int count = extensions && r.chance(30) ? r.between(1, 4) : 0;
        for (int i = 0; i < count; i++) {
            chain[i] = i == 0 && r.chance(50) ? HOP_BY_HOP : r.pick(EXTENSIONS);
        }
        int hopLimit = r.chance(90) ? r.between(2, 255) : 1;
        w.ipv6(r.nextInt(256), r.nextInt(), count > 0 ? chain[0] : protocol, hopLimit, v6[0], v6[1], v6[2], v6[3]);
        for (int i = 0; i < count; i++) {
            extension(w, r, chain[i], i + 1 < count ? chain[i + 1] : protocol);
        }
    }

    private void extension(FrameWriter w, FuzzRandom r, int type, int next) {
        switch (type) {
            case ROUTING -> {
                // Segment routing header (type 4) with one segment and segments left 0: processed and passed.
                w.ipv6Extension(ROUTING, next, 24);
                int at = w.start(w.layers() - 1);
                w.u8(at + 2, 4);
                w.u64(at + 8, v6[2]);
                w.u64(at + 16, v6[3]);
            }
            case AH -> {
                w.ipv6Extension(AH, next, 24);
                int at = w.start(w.layers() - 1);
                w.u32(at + 4, r.nextInt() | 0x100); // SPI (1-255 are reserved)
                w.u32(at + 8, r.nextInt());
                w.u64(at + 12, r.nextLong());
                w.u32(at + 20, r.nextInt());
            }
            default -> {
                // Hop-by-hop or destination options: zeros are Pad1 options; sometimes one PadN.
                int bytes = 8 * r.between(1, 3);
                w.ipv6Extension(type, next, bytes);
                if (r.chance(50)) {
                    int at = w.start(w.layers() - 1);
                    w.u8(at + 2, 1);
                    w.u8(at + 3, bytes - 4);
                }
            }
        }
    }

    /** The L4 header of {@code protocol}: TCP (with options half the time), UDP, ICMP/ICMPv6 echo or SCTP. */
    private void transport(FrameWriter w, FuzzRandom r, int protocol, boolean ipv6) {
        switch (protocol) {
            case TCP -> tcp(w, r);
            case UDP -> {
                w.udp(addresses.port(r), addresses.port(r));
                if (!ipv6 && r.chance(10)) {
                    w.noChecksum();
                }
            }
            case SCTP -> sctp(w, r);
            default -> {
                int type = ipv6 ? (r.chance(50) ? 128 : 129) : (r.chance(50) ? 8 : 0);
                int rest = r.nextInt(0x10000) << 16 | r.nextInt(0x10000);
                if (ipv6) {
                    w.icmp6(type, 0, rest);
                } else {
                    w.icmp4(type, 0, rest);
                }
            }
        }
    }

    private void tcp(FrameWriter w, FuzzRandom r) {
        int optionWords = r.chance(50) ? r.between(1, 10) : 0;
        w.tcp(addresses.port(r), addresses.port(r), r.nextInt(), r.nextInt(), r.pick(TCP_FLAGS), r.nextInt(0x10000),
                optionWords);
        int at = w.start(w.layers() - 1) + 20;
        int bytes = optionWords * 4;
        int p = 0;
        while (p < bytes) {
            int left = bytes - p;
            int choice = r.nextInt(6);
            if (choice == 0 && left >= 4) { // MSS
                w.u32(at + p, 0x0204_0000 | r.between(88, 9000));
                p += 4;
            } else if (choice == 1 && left >= 3) { // window scale
                w.u8(at + p, 3);
                w.u8(at + p + 1, 3);
                w.u8(at + p + 2, r.nextInt(15));
                p += 3;
            } else if (choice == 2 && left >= 2) { // SACK permitted
                w.u16(at + p, 0x0402);
                p += 2;
            } else if (choice == 3 && left >= 10) { // timestamps
                w.u16(at + p, 0x080A);
                w.u32(at + p + 2, r.nextInt());
                w.u32(at + p + 6, r.nextInt());
                p += 10;
            } else if (choice == 4 && left >= 10) { // one or two SACK blocks
                int blocks = left >= 18 && r.chance(50) ? 2 : 1;
                w.u8(at + p, 5);
                w.u8(at + p + 1, 2 + 8 * blocks);
                for (int b = 0; b < blocks; b++) {
                    w.u32(at + p + 2 + 8 * b, r.nextInt());
                    w.u32(at + p + 6 + 8 * b, r.nextInt());
                }
                p += 2 + 8 * blocks;
            } else if (choice == 5 && left < 4) {
                return; // End of Option List: the rest is zero
            } else {
                w.u8(at + p, 1); // NOP
                p++;
            }
        }
    }

    private void sctp(FrameWriter w, FuzzRandom r) {
        boolean init = r.chance(40);
        w.sctp(addresses.port(r), addresses.port(r), init ? 0 : r.nextInt());
        if (init) {
            int at = w.append(20);
            w.u32(at, 0x0100_0014); // INIT, flags 0, length 20
            w.u32(at + 4, r.nextInt() | 1); // initiate tag (never 0)
            w.u32(at + 8, r.between(1500, 1 << 20)); // a_rwnd
            w.u32(at + 12, r.between(1, 10) << 16 | r.between(1, 10)); // outbound and inbound streams
            w.u32(at + 16, r.nextInt());
        } else {
            int data = r.between(1, 64);
            int at = w.append(16);
            w.u32(at, 0x0003_0000 | (16 + data)); // DATA, flags B|E
            w.u32(at + 4, r.nextInt());
            w.u32(at + 8, r.nextInt(8) << 16 | r.nextInt(0x10000));
            w.u32(at + 12, r.nextInt(64));
            w.randomBytes(data, r);
            w.append((4 - data % 4) % 4);
        }
    }

    /** Random payload: mostly small, sometimes up to about an MTU. */
    private void payload(FrameWriter w, FuzzRandom r) {
        int roll = r.nextInt(100);
        int bytes = roll < 60 ? r.nextInt(65) : roll < 90 ? r.between(65, 512) : r.between(513, 1400);
        w.randomBytes(Math.min(bytes, w.room()), r);
    }

    // ---- ICMP errors ----------------------------------------------------------------------------------

    private void icmp4Error(FrameWriter w, FuzzRandom r) {
        ethernet(w, r, EthernetHeader.ETHER_TYPE_IPV4);
        int router = addresses.ipv4(r);
        int host = addresses.ipv4(r);
        ipv4(w, r, ICMP, 0, router, host);
        int type = r.pick(ICMP4_ERRORS);
        int code = switch (type) {
            case 3 -> r.nextInt(16);
            case 11 -> r.nextInt(2);
            case 5 -> r.nextInt(4);
            default -> 0;
        };
        int rest = switch (type) {
            case 3 -> code == 4 ? r.between(68, 9000) : 0;
            case 12 -> r.nextInt(60) << 24;
            case 5 -> addresses.ipv4(r);
            default -> 0;
        };
        w.icmp4(type, code, rest);
        quote4(w, r, host);
    }

    /** The datagram an ICMPv4 error quotes: sane 70% of the time, otherwise one of several bogus forms. */
    private void quote4(FrameWriter w, FuzzRandom r, int originalSource) {
        int protocol = r.pick(QUOTED_V4);
        int bogus = r.chance(70) ? -1 : r.nextInt(6);
        quoteLength(w, r);
        switch (bogus) {
            case 0 -> { // an IPv6 header in an IPv4 error
                ipv6(w, r, protocol, false);
                transport(w, r, protocol, true);
            }
            case 1 -> w.randomBytes(r.nextInt(28), r); // a few random bytes
            case 2 -> { // an error about an error
                ipv4(w, r, ICMP, 0, originalSource, addresses.ipv4(r));
                w.icmp4(3, 3, 0);
            }
            case 3 -> { // a later fragment: no L4 header to look at
                ipv4(w, r, protocol, Ipv4Header.FLAG_MF | r.between(1, 100), originalSource, addresses.ipv4(r));
                w.randomBytes(8, r);
            }
            default -> {
                ipv4(w, r, protocol, 0, originalSource, addresses.ipv4(r));
                transport(w, r, protocol, false);
                if (bogus == 4) {
                    w.u8(w.start(w.layers() - 2), 0x42); // IHL 2: below the minimum
                } else if (bogus == 5) {
                    w.length(w.start(w.layers() - 1) + 4); // L4 cut to 4 bytes: less than the 8 an error must quote
                } else if (r.chance(50)) {
                    w.length(w.start(w.layers() - 1) + 8); // exactly the 8 bytes RFC 792 requires
                } else {
                    payload(w, r);
                }
            }
        }
        w.whole();
    }

    /**
     * Most errors quote the first part of a longer datagram (partial layers: lengths claim the
     * rest, checksums are the original's); some quote a whole small one, checksums and all.
     */
    private static void quoteLength(FrameWriter w, FuzzRandom r) {
        if (r.chance(70)) {
            w.partial(r.between(1, 2000));
        }
    }

    private void icmp6Error(FrameWriter w, FuzzRandom r) {
        ethernet(w, r, EthernetHeader.ETHER_TYPE_IPV6);
        ipv6(w, r, ICMPV6, r.chance(20));
        int type = r.pick(ICMP6_ERRORS);
        int code = switch (type) {
            case 1 -> r.nextInt(7);
            case 3 -> r.nextInt(2);
            case 4 -> r.nextInt(3);
            default -> 0;
        };
        int rest = type == 2 ? r.between(1280, 9000) : type == 4 ? r.nextInt(80) : 0;
        w.icmp6(type, code, rest);
        int protocol = r.pick(QUOTED_V6);
        int bogus = r.chance(70) ? -1 : r.nextInt(4);
        quoteLength(w, r);
        switch (bogus) {
            case 0 -> { // an IPv4 header in an IPv6 error
                ipv4(w, r, protocol, 0, addresses.ipv4(r), addresses.ipv4(r));
                transport(w, r, protocol, false);
            }
            case 1 -> w.randomBytes(r.nextInt(48), r);
            case 2 -> { // an error about an error
                ipv6(w, r, ICMPV6, false);
                w.icmp6(1, 4, 0);
            }
            default -> {
                ipv6(w, r, protocol, true);
                transport(w, r, protocol, true);
                if (bogus == 3) {
                    w.length(w.start(w.layers() - 1) + 3);
                } else if (r.chance(50)) {
                    payload(w, r);
                }
            }
        }
        w.whole();
    }

    // ---- fragments --------------------------------------------------------------------------------------

    private void fragment4(FrameWriter w, FuzzRandom r) {
        ethernet(w, r, EthernetHeader.ETHER_TYPE_IPV4);
        int role = r.nextInt(3); // first, middle, last
        int protocol = r.pick(FRAGMENTED_V4);
        int offsetBytes = role == 0 ? 0 : r.pick(FRAGMENT_OFFSETS);
        int payloadBytes = role == 2 ? r.between(1, 600) : 8 * r.between(1, 100);
        payloadBytes = Math.min(payloadBytes, 65_535 - offsetBytes);
        int flags = (role == 2 ? 0 : Ipv4Header.FLAG_MF) | offsetBytes / 8;
        w.ipv4(0, r.pick(FRAGMENT_IDS), flags, 64, protocol, addresses.ipv4(r), addresses.ipv4(r), 0);
        fragmentPayload(w, r, role, protocol, false, payloadBytes);
    }

    private void fragment6(FrameWriter w, FuzzRandom r) {
        ethernet(w, r, EthernetHeader.ETHER_TYPE_IPV6);
        int role = r.nextInt(3);
        int protocol = r.pick(FRAGMENTED_V6);
        int offsetBytes = role == 0 ? 0 : r.pick(FRAGMENT_OFFSETS);
        int payloadBytes = role == 2 ? r.between(1, 600) : 8 * r.between(1, 100);
        payloadBytes = Math.min(payloadBytes, 65_535 - offsetBytes) & (role == 2 ? -1 : ~7);
        addresses.ipv6(r, v6, 0);
        addresses.ipv6(r, v6, 2);
        w.ipv6(0, 0, FRAGMENT, 64, v6[0], v6[1], v6[2], v6[3]);
        w.ipv6Fragment(protocol, offsetBytes, role != 2, r.pick(FRAGMENT_IDS));
        fragmentPayload(w, r, role, protocol, true, Math.max(payloadBytes, 8));
    }

    /** A first fragment carries the L4 header of a datagram whose rest is missing; others carry data only. */
    private void fragmentPayload(FrameWriter w, FuzzRandom r, int role, int protocol, boolean ipv6, int payloadBytes) {
        int payloadStart = w.length();
        if (role == 0) {
            w.partial(r.between(8, 4000));
            transport(w, r, protocol, ipv6);
            w.whole();
        }
        int written = w.length() - payloadStart;
        int target = Math.max(payloadBytes, (written + 7) & ~7);
        w.randomBytes(Math.min(target - written, w.room()), r);
        if (role != 2) {
            int odd = (w.length() - payloadStart) % 8;
            if (odd != 0) {
                w.length(w.length() - odd); // a fragment other than the last carries a multiple of 8 bytes
            }
        }
    }

    // ---- neighbour discovery and tunnels ------------------------------------------------------------------

    private void neighbor(FrameWriter w, FuzzRandom r) {
        boolean solicitation = r.chance(50);
        long srcMac = addresses.mac(r) & ~0x0100_0000_0000L;
        addresses.ipv6(r, v6, 0);
        addresses.ipv6(r, v6, 2);
        long target = v6[3];
        long dstHi = solicitation ? 0xFF02_0000_0000_0000L : v6[2];
        long dstLo = solicitation ? 0x0000_0001_FF00_0000L | (target & 0xFF_FFFFL) : v6[3];
        long dstMac = solicitation ? 0x3333_FF00_0000L | (target & 0xFF_FFFFL) : addresses.mac(r);
        w.ethernet(dstMac, srcMac, EthernetHeader.ETHER_TYPE_IPV6);
        w.ipv6(0, 0, ICMPV6, 255, v6[0], v6[1], dstHi, dstLo);
        w.icmp6(solicitation ? 135 : 136, 0, solicitation ? 0 : 0x6000_0000);
        int at = w.append(24);
        w.u64(at, v6[2]);
        w.u64(at + 8, target);
        w.u16(at + 16, solicitation ? 0x0101 : 0x0201); // source / target link-layer address option, 8 bytes
        w.u16(at + 18, (int) (srcMac >>> 32));
        w.u32(at + 20, (int) srcMac);
    }

    private void tunnel(int shape, FrameWriter w, FuzzRandom r) {
        ethernet(w, r, EthernetHeader.ETHER_TYPE_IPV4);
        ipv4(w, r, UDP, 0, addresses.ipv4(r), addresses.ipv4(r));
        boolean geneve = shape == GENEVE;
        w.udp(r.between(49152, 65535), geneve ? 6081 : r.pick(VXLAN_PORTS));
        if (r.chance(70)) {
            w.noChecksum(); // RFC 7348: senders use 0
        }
        int vni = r.chance(80) ? r.nextInt(16) : r.nextInt(1 << 24);
        if (geneve) {
            int options = r.nextInt(3);
            int dataWords = 0;
            for (int i = 0; i < options; i++) {
                chain[i] = r.nextInt(3);
                dataWords += chain[i];
            }
            w.geneve(vni, 0x6558, options + dataWords);
            int at = w.start(w.layers() - 1) + 8;
            for (int i = 0; i < options; i++) {
                w.u16(at, r.nextInt(0x10000)); // option class
                w.u8(at + 2, r.nextInt(0x80)); // type, critical bit clear
                w.u8(at + 3, chain[i]); // length in 4-byte words
                for (int k = 0; k < chain[i]; k++) {
                    w.u32(at + 4 + 4 * k, r.nextInt());
                }
                at += 4 + 4 * chain[i];
            }
        } else {
            w.vxlan(vni);
        }
        if (shape == VXLAN_IN_VXLAN) {
            tunnel(VXLAN, w, r);
        } else {
            frame(r.nextInt(INNER_SHAPES), w, r);
        }
    }
}
