package dev.gingham.dataplane.neighbour;

import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.header.Addresses;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ArpRequestTest {
    private static final String NODE_MAC = "02:00:00:00:00:10";
    private static final String PEER_MAC = "02:00:00:00:00:11";

    private static byte[] written(long knownMac) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(64);
            s.fill((byte) 0x5A);
            int length = ArpRequest.write(s, 4, Addresses.parseMac(NODE_MAC), PacketBuilder.ip4("192.168.1.10"), knownMac,
                    PacketBuilder.ip4("192.168.1.11"));
            assertEquals(42, length);
            return s.asSlice(4, length).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    @Test
    void shouldBroadcastWhoHasWhenTheTargetsMacIsUnknown() {
        assertArrayEquals(PacketBuilder.arpRequest(NODE_MAC, "192.168.1.10", "192.168.1.11").build(), written(0));
    }

    @Test
    void shouldUnicastToTheKnownMacWhenRefreshingAnEntry() {
        assertArrayEquals(PacketBuilder.arpRequest(NODE_MAC, "192.168.1.10", "192.168.1.11").dstMac(PEER_MAC).build(),
                written(Addresses.parseMac(PEER_MAC)));
    }
}
