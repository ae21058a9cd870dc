package dev.gingham.nat;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static dev.gingham.packet.PacketBuilder.ip4;
import static dev.gingham.packet.PacketBuilder.ip6;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class IcmpErrorTranslatorTest {
    private BufferPool pool;
    private FrameVector vector;
    private final Parser parser = new Parser();

    @BeforeEach
    void setUp() {
        pool = BufferPool.allocate(8, BufferPool.DEFAULT_BUFFER_SIZE);
        vector = new FrameVector(pool);
    }

    @AfterEach
    void tearDown() {
        vector.releaseAll();
    }

    private int loadParsed(byte[] frame) {
        int i = PacketBuilder.load(vector, 1, frame);
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        return i;
    }

    /** Translates assuming an IPv4 quote with a 20-byte header right after the 8-byte ICMP header. */
    private int translate4(int i, int outerSide, String oldAddress, String newAddress, int newPort) {
        long innerL3 = vector.l4Offset(i) + 8;
        long innerL4 = innerL3 + (NetworkOrder.u8(vector.segment(), innerL3) & 0xF) * 4;
        int innerL4Bytes = (int) (vector.l3Offset(i) + vector.l3Length(i) - innerL4);
        int protocol = NetworkOrder.u8(vector.segment(), innerL3 + 9);
        return IcmpErrorTranslator.translate(vector, i, outerSide, innerL3, innerL4, innerL4Bytes, protocol,
                0, MappedAddress.lo4(ip4(oldAddress)), 0, MappedAddress.lo4(ip4(newAddress)), newPort);
    }

    @Test
    void shouldShowTheClientItsOwnPacketToTheVipWhenTheBackendRejects() {
        byte[] sentToBackend = PacketBuilder.ipPacketOf(PacketBuilder.tcp4("10.0.1.5", 40000, "10.0.2.7", 8080).payload(10).build());
        byte[] clientSent = PacketBuilder.ipPacketOf(PacketBuilder.tcp4("10.0.1.5", 40000, "10.96.0.10", 80).payload(10).build());
        int i = loadParsed(PacketBuilder.icmp4Error(3, 3, "10.0.2.7", "10.0.1.5", sentToBackend).build());

        assertEquals(Verdict.CONTINUE, translate4(i, NatRewriter.SOURCE, "10.0.2.7", "10.96.0.10", 80));

        assertArrayEquals(PacketBuilder.icmp4Error(3, 3, "10.96.0.10", "10.0.1.5", clientSent).build(),
                PacketBuilder.bytesOf(vector, i));
    }

    @Test
    void shouldKeepTheRoutersAddressAndTranslateAnEightByteQuoteWhenFragmentationIsNeededOnTheWayToTheBackend() {
        byte[] sentToBackend = PacketBuilder.ipPacketOf(PacketBuilder.tcp4("10.0.1.5", 40000, "10.0.2.7", 8080).dontFragment().payload(1400).build());
        byte[] clientSent = PacketBuilder.ipPacketOf(PacketBuilder.tcp4("10.0.1.5", 40000, "10.96.0.10", 80).dontFragment().payload(1400).build());
        int i = loadParsed(PacketBuilder.icmp4FragNeeded("10.0.0.254", "10.0.1.5", 1450, Arrays.copyOf(sentToBackend, 28)).build());

        assertEquals(Verdict.CONTINUE, translate4(i, NatRewriter.SOURCE, "10.0.2.7", "10.96.0.10", 80));

        assertArrayEquals(PacketBuilder.icmp4FragNeeded("10.0.0.254", "10.0.1.5", 1450, Arrays.copyOf(clientSent, 28)).build(),
                PacketBuilder.bytesOf(vector, i));
    }

    @Test
    void shouldHandThePodItsOwnPacketWhenAnErrorComesBackToTheMasqueradeAddress() {
        byte[] leftTheNode = PacketBuilder.ipPacketOf(PacketBuilder.udp4("192.168.1.10", 33000, "1.1.1.1", 443).dontFragment().payload(1300).build());
        byte[] podSent = PacketBuilder.ipPacketOf(PacketBuilder.udp4("10.0.1.5", 40000, "1.1.1.1", 443).dontFragment().payload(1300).build());
        int i = loadParsed(PacketBuilder.icmp4FragNeeded("203.0.113.1", "192.168.1.10", 1280, leftTheNode).build());

        assertEquals(Verdict.CONTINUE, translate4(i, NatRewriter.DESTINATION, "192.168.1.10", "10.0.1.5", 40000));

        assertArrayEquals(PacketBuilder.icmp4FragNeeded("203.0.113.1", "10.0.1.5", 1280, podSent).build(),
                PacketBuilder.bytesOf(vector, i));
    }

    @Test
    void shouldTranslateAnIcmpv6PacketTooBigFromTheBackend() {
        byte[] sentToBackend = PacketBuilder.ipPacketOf(PacketBuilder.tcp6("fd00::1:5", 40000, "fd00::2:7", 8443).payload(1300).build());
        byte[] clientSent = PacketBuilder.ipPacketOf(PacketBuilder.tcp6("fd00::1:5", 40000, "fd00:96::10", 443).payload(1300).build());
        int i = loadParsed(PacketBuilder.icmp6PacketTooBig("fd00::2:7", "fd00::1:5", 1280, sentToBackend).build());
        long innerL3 = vector.l4Offset(i) + 8;
        long[] backend = ip6("fd00::2:7");
        long[] vip = ip6("fd00:96::10");

        assertEquals(Verdict.CONTINUE, IcmpErrorTranslator.translate(vector, i, NatRewriter.SOURCE, innerL3, innerL3 + 40,
                (int) (vector.l3Offset(i) + vector.l3Length(i) - innerL3 - 40), 6, backend[0], backend[1], vip[0], vip[1], 443));

        assertArrayEquals(PacketBuilder.icmp6PacketTooBig("fd00:96::10", "fd00::1:5", 1280, clientSent).build(),
                PacketBuilder.bytesOf(vector, i));
    }
}
