package dev.gingham.packet;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class FlowHashTest {
    @Test
    void shouldEqualSpreadOfTheMappedTupleWhenSpreadingIpv4Words() {
        // 10.244.1.5:40000 -> 10.96.0.10:443 TCP, as the IPv4 header holds the addresses and the
        // TCP header the ports
        assertEquals(FlowHash.spread(0, MappedAddress.lo4(0x0AF4_0105), 0, MappedAddress.lo4(0x0A60_000A), 40000, 443, 6),
                FlowHash.spread4(0x0AF4_0105_0A60_000AL, 40000 << 16 | 443, 6));
        // top bits set in every field: no sign extension may leak between them
        assertEquals(FlowHash.spread(0, MappedAddress.lo4(0xFFFF_FFFF), 0, MappedAddress.lo4(0x8000_0001), 65535, 1, 17),
                FlowHash.spread4(0xFFFF_FFFF_8000_0001L, 0xFFFF_0001, 17));
    }

    @Test
    void shouldChangeWhenSourceAndDestinationSwap() {
        // the two directions of a flow are two flows for path spreading, as for Linux's flow hash
        assertNotEquals(FlowHash.spread4(0x0AF4_0105_0A60_000AL, 40000 << 16 | 443, 6),
                FlowHash.spread4(0x0A60_000A_0AF4_0105L, 443 << 16 | 40000, 6));
    }
}
