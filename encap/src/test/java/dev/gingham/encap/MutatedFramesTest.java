package dev.gingham.encap;

import dev.gingham.packet.DropReason;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.Random;

import static dev.gingham.encap.Overlay.A_POD;
import static dev.gingham.encap.Overlay.A_UNDERLAY;
import static dev.gingham.encap.Overlay.A_UNDERLAY_PORT;
import static dev.gingham.encap.Overlay.B_POD;
import static dev.gingham.encap.Overlay.B_UNDERLAY;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input never throws: valid tunnel frames (and pod frames), with random bytes flipped
 * and random cuts, go through parse, decapsulation, delivery and encapsulation, and every frame
 * ends with a verdict (continue, a TX, or a known drop reason). Seeded, so a failure replays.
 */
class MutatedFramesTest {
    private static final int ROUNDS = 5_000;

    private static byte[] valid(TunnelMode mode, Random random) {
        byte[] inner = random.nextBoolean()
                ? PacketBuilder.tcp4(B_POD, 80, A_POD, 40000).flags(random.nextInt(256)).mss(1460).payload(random.nextInt(200)).build()
                : PacketBuilder.udp6("fd00:2::7", 53, "fd00:1::5", 5353).payload(random.nextInt(200)).build();
        return switch (mode) {
            case VXLAN -> PacketBuilder.vxlan(B_UNDERLAY, A_UNDERLAY, 1, inner).build();
            case GENEVE -> PacketBuilder.geneve(B_UNDERLAY, A_UNDERLAY, 1, inner).geneveOption(0x0102, 5, new byte[8]).build();
            case IPIP -> PacketBuilder.ipip(B_UNDERLAY, A_UNDERLAY, PacketBuilder.ipPacketOf(inner)).build();
            case NATIVE -> inner;
        };
    }

    private static byte[] mutate(byte[] frame, Random random) {
        byte[] copy = random.nextInt(4) == 0 ? Arrays.copyOf(frame, random.nextInt(frame.length + 1)) : frame.clone();
        for (int flips = 1 + random.nextInt(4); flips > 0 && copy.length > 0; flips--) {
            copy[random.nextInt(Math.min(copy.length, 120))] ^= (byte) (1 << random.nextInt(8));
        }
        return copy;
    }

    private static void assertFinal(int verdict) {
        assertTrue(verdict >= 0 || DropReason.ofCode(-verdict) != null, () -> "unknown verdict " + verdict);
    }

    @ParameterizedTest
    @EnumSource(TunnelMode.class)
    void shouldNeverThrowWhenTunnelFramesAreMutated(TunnelMode mode) {
        Random random = new Random(0x6E_CA_05L + mode.ordinal());
        try (Overlay o = new Overlay(Overlay.nodeA(mode).build())) {
            for (int round = 0; round < ROUNDS; round++) {
                byte[] frame = mutate(valid(mode, random), random);
                o.vector.releaseAll();
                int i = PacketBuilder.load(o.vector, A_UNDERLAY_PORT, frame);
                o.parser.parseAll(o.vector);
                o.decap.process(o.vector, round);
                o.delivery.process(o.vector);
                assertFinal(o.vector.verdict(i));
                assertNotNull(o.out(i));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TunnelMode.class)
    void shouldNeverThrowWhenPodFramesAreMutated(TunnelMode mode) {
        Random random = new Random(0x0E_4C_A9L + mode.ordinal());
        try (Overlay o = new Overlay(Overlay.nodeA(mode).underlayMtuBytes(1400).icmpErrors(1000, 1000).build())) {
            for (int round = 0; round < ROUNDS; round++) {
                byte[] valid = random.nextBoolean()
                        ? PacketBuilder.tcp4(A_POD, 40000, B_POD, 80).flags(random.nextInt(256)).mss(1460)
                        .payload(random.nextInt(3000)).build()
                        : PacketBuilder.udp4(A_POD, 5000, B_POD, 53).payload(random.nextInt(3000)).build();
                byte[] frame = mutate(valid, random);
                o.vector.releaseAll();
                int i = PacketBuilder.load(o.vector, Overlay.A_POD_PORT, frame);
                o.parser.parseAll(o.vector);
                o.encap.process(o.vector, round * 1_000_000L);
                for (int k = 0; k < o.vector.count(); k++) {
                    assertFinal(o.vector.verdict(k));
                    assertTrue(o.vector.length(k) <= o.pool.bufferSize());
                }
                assertTrue(Verdict.isTx(o.vector.verdict(i)) || o.vector.verdict(i) <= 0);
            }
        }
    }
}
