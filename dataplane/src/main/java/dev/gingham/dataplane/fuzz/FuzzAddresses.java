package dev.gingham.dataplane.fuzz;

import dev.gingham.packet.Cidr;

import java.util.ArrayList;
import java.util.List;

/**
 * Where fuzzed frames come from and go to: the prefixes (pod CIDR, service CIDR, node and
 * external addresses), ports (service ports) and MACs (pods, gateway) the pipeline wiring wants
 * the generators to hit, so that mutated frames reach deep into service lookup, conntrack, NAT
 * and policy instead of bouncing off the first route miss. The generators mix these with edge
 * values (zero, broadcast, loopback, multicast, tunnel ports) and random ones.
 *
 * <p>Split into primitive arrays once at construction, so picking an address per frame
 * allocates nothing.
 */
public final class FuzzAddresses {
    private final int[] v4Base;
    private final int[] v4HostMask;
    private final long[] v6Hi;
    private final long[] v6Lo;
    private final long[] v6HostMaskLo;
    private final int[] ports;
    private final long[] macs;

    /**
     * @param prefixes IPv4 and IPv6 prefixes (a /32 or /128 is one address)
     * @param ports    ports worth hitting (service ports, node ports)
     * @param macs     MACs worth hitting (pods, the gateway), 48 bits in the low bits of each long
     */
    public FuzzAddresses(List<Cidr> prefixes, int[] ports, long[] macs) {
        List<Cidr> v4 = new ArrayList<>();
        List<Cidr> v6 = new ArrayList<>();
        for (Cidr prefix : prefixes) {
            (prefix.ipv4() ? v4 : v6).add(prefix);
        }
        if (v4.isEmpty() || v6.isEmpty() || ports.length == 0 || macs.length == 0) {
            throw new IllegalArgumentException("fuzz addresses need at least one IPv4 prefix, one IPv6 prefix, one port and"
                    + " one MAC (got " + prefixes + ", " + ports.length + " ports, " + macs.length + " MACs)");
        }
        v4Base = new int[v4.size()];
        v4HostMask = new int[v4.size()];
        for (int i = 0; i < v4.size(); i++) {
            Cidr c = v4.get(i).masked();
            v4Base[i] = c.v4();
            v4HostMask[i] = c.prefixLength() == 0 ? -1 : (int) ((1L << (32 - c.prefixLength())) - 1);
        }
        v6Hi = new long[v6.size()];
        v6Lo = new long[v6.size()];
        v6HostMaskLo = new long[v6.size()];
        for (int i = 0; i < v6.size(); i++) {
            Cidr c = v6.get(i).masked();
            v6Hi[i] = c.hi();
            v6Lo[i] = c.lo();
            // Hosts vary in the low 64 bits only: enough for any pod or service prefix.
            int hostBits = Math.min(64, 128 - c.prefixLength());
            v6HostMaskLo[i] = hostBits == 64 ? -1L : (1L << hostBits) - 1;
        }
        this.ports = ports.clone();
        this.macs = macs.clone();
    }

    /** A small cluster: pods 10.244.0.0/16 and fd00:10:244::/64, services 10.96.0.0/16, a node, the outside. */
    public static FuzzAddresses defaults() {
        return new FuzzAddresses(List.of(Cidr.parse("10.244.0.0/16"), Cidr.parse("10.96.0.0/16"),
                Cidr.parse("192.168.1.0/24"), Cidr.parse("203.0.113.0/24"), Cidr.parse("fd00:10:244::/64"),
                Cidr.parse("fd00:10:96::/112"), Cidr.parse("2001:db8::/64")),
                new int[] {53, 80, 443, 8080, 30080, 6443},
                new long[] {0x02_00_00_00_00_01L, 0x02_00_00_00_00_02L, 0x02_00_00_00_00_FEL});
    }

    private static final int[] EDGE_V4 = {0, 0xFFFF_FFFF, 0x7F00_0001, 0xE000_0001, 0xA9FE_0101, 0x0A00_0000, 0xEFFF_FFFA};
    private static final int[] EDGE_PORTS = {0, 1, 1023, 1024, 65535, 8472, 4789, 6081, 53, 80, 443, 123, 67, 68};
    private static final long[] EDGE_MACS = {0xFFFF_FFFF_FFFFL, 0, 0x01_00_5E_00_00_01L, 0x33_33_00_00_00_01L,
            0x01_80_C2_00_00_00L};

    /** Returns: an IPv4 address: 75% in a configured prefix, 15% an edge value, 10% random. */
    public int ipv4(FuzzRandom random) {
        int roll = random.nextInt(100);
        if (roll < 75) {
            int i = random.nextInt(v4Base.length);
            return v4Base[i] | (random.nextInt() & v4HostMask[i]);
        }
        return roll < 90 ? random.pick(EDGE_V4) : random.nextInt();
    }

    /** Writes an IPv6 address into {@code hiLo[at]}, {@code hiLo[at + 1]}: 80% in a configured prefix, else edge or random. */
    public void ipv6(FuzzRandom random, long[] hiLo, int at) {
        int roll = random.nextInt(100);
        if (roll < 80) {
            int i = random.nextInt(v6Hi.length);
            hiLo[at] = v6Hi[i];
            hiLo[at + 1] = v6Lo[i] | (random.nextLong() & v6HostMaskLo[i]);
        } else if (roll < 90) {
            switch (random.nextInt(4)) {
                case 0 -> { hiLo[at] = 0; hiLo[at + 1] = 1; } // ::1
                case 1 -> { hiLo[at] = 0xFF02_0000_0000_0000L; hiLo[at + 1] = 1; } // ff02::1
                case 2 -> { hiLo[at] = 0xFE80_0000_0000_0000L; hiLo[at + 1] = random.nextLong(); } // link-local
                default -> { hiLo[at] = 0; hiLo[at + 1] = 0; } // ::
            }
        } else {
            hiLo[at] = random.nextLong();
            hiLo[at + 1] = random.nextLong();
        }
    }

    /** Returns: a port: 60% configured, 25% an edge value (tunnel ports among them), 15% random. */
    public int port(FuzzRandom random) {
        int roll = random.nextInt(100);
        if (roll < 60) {
            return random.pick(ports);
        }
        return roll < 85 ? random.pick(EDGE_PORTS) : random.nextInt(65536);
    }

    /** Returns: a MAC: 85% configured, 10% broadcast/multicast/zero, 5% random. */
    public long mac(FuzzRandom random) {
        int roll = random.nextInt(100);
        if (roll < 85) {
            return macs[random.nextInt(macs.length)];
        }
        return roll < 95 ? EDGE_MACS[random.nextInt(EDGE_MACS.length)] : random.nextLong() & 0xFFFF_FFFF_FFFFL;
    }
}
