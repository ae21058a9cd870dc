package dev.gingham.dataplane.cluster;

import dev.gingham.packet.Cidr;

import java.util.ArrayList;
import java.util.List;

/**
 * Set arithmetic on prefixes for the control plane. Subtraction turns "these destinations except
 * those" (an egress gateway policy's excludedCIDRs) into plain prefixes, so the data path needs no
 * notion of exceptions: removing a /p hole from a /q prefix leaves p - q prefixes, one per level,
 * each the sibling of the hole's ancestor at that level.
 */
final class CidrSets {
    private CidrSets() {
    }

    /** Returns: the addresses of {@code from} that are in none of {@code holes}, as prefixes (masked inputs). */
    static List<Cidr> subtract(List<Cidr> from, List<Cidr> holes) {
        List<Cidr> result = new ArrayList<>(from);
        for (Cidr hole : holes) {
            List<Cidr> next = new ArrayList<>();
            for (Cidr cidr : result) {
                if (hole.contains(cidr)) {
                    continue;
                }
                if (cidr.contains(hole)) {
                    next.addAll(around(cidr, hole));
                } else {
                    next.add(cidr);
                }
            }
            result = next;
        }
        return result;
    }

    /** Returns: the prefixes covering {@code outer} minus {@code hole} (hole strictly inside outer). */
    private static List<Cidr> around(Cidr outer, Cidr hole) {
        List<Cidr> pieces = new ArrayList<>();
        for (int length = outer.bits128() + 1; length <= hole.bits128(); length++) {
            int bit = length - 1; // counted from the most significant bit of the 128-bit form
            long hi = hole.hi();
            long lo = hole.lo();
            if (bit < 64) {
                hi ^= 1L << (63 - bit);
            } else {
                lo ^= 1L << (127 - bit);
            }
            pieces.add(new Cidr(outer.ipv4(), hi, lo, outer.ipv4() ? length - 96 : length).masked());
        }
        return pieces;
    }
}
