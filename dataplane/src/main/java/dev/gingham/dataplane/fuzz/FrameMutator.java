package dev.gingham.dataplane.fuzz;

import dev.gingham.packet.header.Ipv4Header;

/**
 * Breaks a frame the {@link FrameGenerator} wrote, knowing where its headers and fields are
 * (the {@link FrameWriter}'s layers), so that a mutation lands on a field that matters instead
 * of in the payload most random flips hit:
 *
 * <ul>
 *   <li>{@link #TRUNCATE}: cut at a layer boundary, one byte either side of it, or inside the header;</li>
 *   <li>{@link #LENGTH_EDGE}: a length field (IPv4 total length and IHL, IPv6 payload length,
 *       extension header length, TCP data offset, UDP length, Geneve options length, ARP
 *       lengths) set to 0, its maximum, or one off the truth; checksums fixed up half the time
 *       so that only the length is wrong;</li>
 *   <li>{@link #FIELD_EDGE}: another field set to an edge value (version, TTL 0/1, fragment
 *       flags and offsets, protocol and next header, addresses 0/broadcast/loopback/multicast,
 *       ports 0/65535/tunnel ports, TCP flag combinations, ICMP types, VXLAN flags and VNI,
 *       Geneve version and critical bits, EtherType), checksums fixed up most of the time;</li>
 *   <li>{@link #BAD_CHECKSUM}: one checksum wrong by one bit (or a UDP checksum 0);</li>
 *   <li>{@link #BYTE_FLIP}: up to four random bytes changed, mostly in the headers;</li>
 *   <li>{@link #ETHERNET_PADDING}: zeros after the IP packet, as minimum-size frames carry;</li>
 *   <li>{@link #NONE}: a quarter of the frames stay valid, to reach the pipeline's deep paths.</li>
 * </ul>
 *
 * <p>One frame in seven gets a second mutation. Deterministic in the random stream; allocates nothing.
 */
public final class FrameMutator {
    public static final int NONE = 0;
    public static final int TRUNCATE = 1;
    public static final int LENGTH_EDGE = 2;
    public static final int FIELD_EDGE = 3;
    public static final int BAD_CHECKSUM = 4;
    public static final int BYTE_FLIP = 5;
    public static final int ETHERNET_PADDING = 6;
    /** Number of mutation kinds. */
    public static final int MUTATIONS = 7;

    private static final String[] NAMES = {"none", "truncate", "length-edge", "field-edge", "bad-checksum", "byte-flip",
            "ethernet-padding"};
    private static final int[] ETHER_TYPES = {0x8100, 0x88A8, 0x0000, 0xFFFF, 0x0800, 0x86DD, 0x0806};
    private static final int[] V4_ADDRESSES = {0, 0xFFFF_FFFF, 0x7F00_0001, 0xE000_0001, 0xA9FE_A9FE};
    private static final int[] PROTOCOLS = {0, 1, 4, 6, 17, 41, 43, 44, 50, 58, 59, 60, 132, 255};
    private static final int[] PORTS = {0, 65535, 8472, 4789, 6081, 53, 1};
    private static final int[] TCP_FLAGS = {0x00, 0xFF, 0x03, 0x06, 0x29, 0x02, 0x12};
    private static final int[] ICMP_TYPES = {255, 3, 11, 8, 0, 128, 129, 1, 2, 135, 136, 137};
    private static final int[] EDGE_ARP_LENGTHS = {0, 4, 6, 16, 255};
    private static final int[] VERSIONS = {0, 6, 4, 15};
    private static final int[] FRAGMENT_WORDS = {0x8000, 0x6000, 0x3FFF, 0x1FFF, 0x2000, Ipv4Header.FLAG_DF | 0x0001};
    private static final int[] TCP_OPTION_LENGTHS = {0, 1, 40};
    private static final int[] VXLAN_FLAGS = {0xFF, 0x0C, 0x88, 0x09};
    private static final int[] GENEVE_PROTOCOLS = {0x0800, 0x86DD, 0x0000, 0x8100};
    private static final int LENGTH_KINDS = bits(FrameWriter.IPV4, FrameWriter.IPV6, FrameWriter.IPV6_EXTENSION,
            FrameWriter.TCP, FrameWriter.UDP, FrameWriter.GENEVE, FrameWriter.ARP);
    private static final int CHECKSUM_KINDS = bits(FrameWriter.IPV4, FrameWriter.TCP, FrameWriter.UDP, FrameWriter.ICMP4,
            FrameWriter.ICMP6, FrameWriter.SCTP);
    private static final int ALL_KINDS = -1;

    /** Returns: a mutation's name for reports. */
    public static String mutationName(int mutation) {
        return NAMES[mutation];
    }

    /**
     * Mutates the frame in the writer (its length may change).
     *
     * @return the (first) mutation applied
     */
    public int mutate(FrameWriter w, FuzzRandom r) {
        int roll = r.nextInt(100);
        int mutation = roll < 25 ? NONE : roll < 40 ? TRUNCATE : roll < 55 ? LENGTH_EDGE : roll < 70 ? FIELD_EDGE
                : roll < 80 ? BAD_CHECKSUM : roll < 95 ? BYTE_FLIP : ETHERNET_PADDING;
        int applied = apply(mutation, w, r);
        if (mutation != NONE && r.chance(15)) {
            apply(1 + r.nextInt(MUTATIONS - 1), w, r);
        }
        return applied;
    }

    /**
     * Applies one mutation of kind {@code mutation}.
     *
     * @return the mutation applied: {@link #BYTE_FLIP} when the frame has no field of the kind asked
     *         for (a checksum in an ARP frame, a length in a frame cut before its headers)
     */
    public int apply(int mutation, FrameWriter w, FuzzRandom r) {
        return switch (mutation) {
            case TRUNCATE -> {
                truncate(w, r);
                yield TRUNCATE;
            }
            case LENGTH_EDGE -> lengthEdge(w, r) ? LENGTH_EDGE : flip(w, r);
            case FIELD_EDGE -> fieldEdge(w, r) ? FIELD_EDGE : flip(w, r);
            case BAD_CHECKSUM -> badChecksum(w, r) ? BAD_CHECKSUM : flip(w, r);
            case BYTE_FLIP -> flip(w, r);
            case ETHERNET_PADDING -> {
                w.append(Math.min(r.between(1, 46), w.room()));
                yield ETHERNET_PADDING;
            }
            default -> NONE;
        };
    }

    private static void truncate(FrameWriter w, FuzzRandom r) {
        if (w.layers() == 0 || r.chance(5)) {
            w.length(r.nextInt(15)); // shorter than an Ethernet header
            return;
        }
        int layer = r.nextInt(w.layers());
        int start = w.start(layer);
        int header = w.headerLength(layer);
        int cut = switch (r.nextInt(6)) {
            case 0 -> start;
            case 1 -> start + 1;
            case 2 -> start - 1;
            case 3 -> start + header - 1;
            case 4 -> start + header;
            default -> start + r.nextInt(Math.max(1, header));
        };
        w.length(Math.max(0, Math.min(cut, w.length() - 1)));
    }

    /** Returns: a layer that is in the frame and of one of the kinds given by {@code kinds} (bit per kind), or -1. */
    private static int pickLayer(FrameWriter w, FuzzRandom r, int kinds) {
        int candidates = 0;
        for (int l = 0; l < w.layers(); l++) {
            if ((kinds >>> w.kind(l) & 1) != 0 && w.start(l) + w.headerLength(l) <= w.length()) {
                candidates++;
            }
        }
        if (candidates == 0) {
            return -1;
        }
        int chosen = r.nextInt(candidates);
        for (int l = 0; l < w.layers(); l++) {
            if ((kinds >>> w.kind(l) & 1) != 0 && w.start(l) + w.headerLength(l) <= w.length() && chosen-- == 0) {
                return l;
            }
        }
        return -1;
    }

    private static int bits(int... kinds) {
        int mask = 0;
        for (int kind : kinds) {
            mask |= 1 << kind;
        }
        return mask;
    }

    private static int edge(FuzzRandom r, int actual, int min, int max) {
        return switch (r.nextInt(6)) {
            case 0 -> 0;
            case 1 -> max;
            case 2 -> actual - 1;
            case 3 -> actual + 1;
            case 4 -> min - 1;
            default -> min;
        } & max;
    }

    private static boolean lengthEdge(FrameWriter w, FuzzRandom r) {
        int layer = pickLayer(w, r, LENGTH_KINDS);
        if (layer < 0) {
            return false;
        }
        int at = w.start(layer);
        switch (w.kind(layer)) {
            case FrameWriter.IPV4 -> {
                if (r.chance(50)) {
                    w.u16(at + 2, edge(r, w.u16(at + 2), 20, 0xFFFF));
                } else {
                    w.u8(at, 0x40 | edge(r, w.u8(at) & 0x0F, 5, 0x0F));
                }
            }
            case FrameWriter.IPV6 -> w.u16(at + 4, edge(r, w.u16(at + 4), 8, 0xFFFF));
            case FrameWriter.IPV6_EXTENSION -> w.u8(at + 1, edge(r, w.u8(at + 1), 0, 0xFF));
            case FrameWriter.TCP -> w.u8(at + 12, edge(r, w.u8(at + 12) >>> 4, 5, 0x0F) << 4);
            case FrameWriter.UDP -> w.u16(at + 4, edge(r, w.u16(at + 4), 8, 0xFFFF));
            case FrameWriter.GENEVE -> w.u8(at, (w.u8(at) & 0xC0) | edge(r, w.u8(at) & 0x3F, 0, 0x3F));
            default -> w.u8(at + 4 + r.nextInt(2), r.pick(EDGE_ARP_LENGTHS));
        }
        if (r.chance(50)) {
            w.checksums();
        }
        return true;
    }

    private static boolean fieldEdge(FrameWriter w, FuzzRandom r) {
        int layer = pickLayer(w, r, ALL_KINDS);
        if (layer < 0) {
            return false;
        }
        int at = w.start(layer);
        int field = r.nextInt(4);
        switch (w.kind(layer)) {
            case FrameWriter.ETHERNET -> {
                if (field < 2) {
                    w.u16(at + w.headerLength(layer) - 2, r.pick(ETHER_TYPES));
                } else {
                    w.u16(at, field == 2 ? 0xFFFF : 0x0100); // broadcast or multicast destination
                    w.u32(at + 2, field == 2 ? -1 : 0x5E00_0001);
                }
            }
            case FrameWriter.ARP -> w.u16(at + (field < 2 ? 6 : field == 2 ? 0 : 2), r.pick(PORTS));
            case FrameWriter.IPV4 -> {
                switch (field) {
                    case 0 -> w.u8(at, (r.pick(VERSIONS) << 4) | (w.u8(at) & 0x0F));
                    case 1 -> w.u8(at + 8, r.nextInt(3) == 0 ? 255 : r.nextInt(2)); // TTL 0, 1 or 255
                    case 2 -> w.u16(at + 6, r.pick(FRAGMENT_WORDS));
                    default -> {
                        if (r.chance(50)) {
                            w.u8(at + 9, r.pick(PROTOCOLS));
                        } else {
                            w.u32(at + (r.chance(50) ? 12 : 16), r.pick(V4_ADDRESSES));
                        }
                    }
                }
            }
            case FrameWriter.IPV6 -> {
                switch (field) {
                    case 0 -> w.u8(at, r.pick(VERSIONS) << 4);
                    case 1 -> w.u8(at + 7, r.nextInt(2)); // hop limit 0 or 1
                    case 2 -> w.u8(at + 6, r.pick(PROTOCOLS));
                    default -> {
                        int address = at + (r.chance(50) ? 8 : 24);
                        w.u64(address, r.chance(50) ? 0 : 0xFF02_0000_0000_0000L);
                        w.u64(address + 8, r.chance(50) ? 0 : 1);
                    }
                }
            }
            case FrameWriter.IPV6_EXTENSION -> {
                if (field < 2) {
                    w.u8(at, r.pick(PROTOCOLS));
                } else {
                    w.u8(at + 3, field == 2 ? 1 : 255); // routing header segments left
                }
            }
            case FrameWriter.IPV6_FRAGMENT -> w.u16(at + 2, field == 0 ? 0xFFF9 : field == 1 ? 0x0001 : r.nextInt(0x10000));
            case FrameWriter.TCP -> {
                if (field < 2) {
                    w.u16(at + 2 * field, r.pick(PORTS));
                } else if (field == 2) {
                    w.u8(at + 13, r.pick(TCP_FLAGS));
                } else if (w.headerLength(layer) > 20) {
                    w.u8(at + 20, 2); // an MSS option whose length is 0, 1 or runs past the header
                    w.u8(at + 21, r.pick(TCP_OPTION_LENGTHS));
                } else {
                    w.u16(at + 18, 0xFFFF); // urgent pointer without URG
                }
            }
            case FrameWriter.UDP -> w.u16(at + 2 * (field & 1), r.pick(PORTS));
            case FrameWriter.ICMP4, FrameWriter.ICMP6 -> w.u8(at + (field < 3 ? 0 : 1), field < 3 ? r.pick(ICMP_TYPES) : 255);
            case FrameWriter.SCTP -> w.u32(at + 4, 0);
            case FrameWriter.VXLAN -> {
                if (field < 2) {
                    w.u8(at, field == 0 ? 0 : r.pick(VXLAN_FLAGS));
                } else {
                    w.u32(at + 4, field == 2 ? 0xFFFF_FF00 : 0x0000_00FF); // VNI max, or the reserved byte set
                }
            }
            case FrameWriter.GENEVE -> {
                switch (field) {
                    case 0 -> w.u8(at, (r.between(1, 3) << 6) | (w.u8(at) & 0x3F)); // version 1-3
                    case 1 -> w.u8(at + 1, r.chance(50) ? 0x80 : 0x40); // O or C bit
                    case 2 -> w.u16(at + 2, r.pick(GENEVE_PROTOCOLS));
                    default -> {
                        if (w.headerLength(layer) > 8) {
                            w.u8(at + 10, w.u8(at + 10) | 0x80); // a critical option no one knows
                        } else {
                            w.u32(at + 4, 0xFFFF_FFFF);
                        }
                    }
                }
            }
            default -> {
                return false;
            }
        }
        if (r.chance(70)) {
            w.checksums();
        }
        return true;
    }

    private static boolean badChecksum(FrameWriter w, FuzzRandom r) {
        int layer = pickLayer(w, r, CHECKSUM_KINDS);
        if (layer < 0) {
            return false;
        }
        int at = w.start(layer);
        int field = switch (w.kind(layer)) {
            case FrameWriter.IPV4 -> at + 10;
            case FrameWriter.TCP -> at + 16;
            case FrameWriter.UDP -> at + 6;
            case FrameWriter.SCTP -> at + 8;
            default -> at + 2;
        };
        if (w.kind(layer) == FrameWriter.UDP && r.chance(20)) {
            w.u16(field, 0); // no checksum: allowed over IPv4, not over IPv6
        } else {
            w.u16(field, w.u16(field) ^ (1 << r.nextInt(16)));
        }
        return true;
    }

    private static int flip(FrameWriter w, FuzzRandom r) {
        int length = w.length();
        if (length == 0) {
            return BYTE_FLIP;
        }
        int flips = r.between(1, 4);
        for (int i = 0; i < flips; i++) {
            int at = r.chance(70) ? r.nextInt(Math.min(length, 128)) : r.nextInt(length);
            w.u8(at, w.u8(at) ^ r.between(1, 255));
        }
        return BYTE_FLIP;
    }
}
