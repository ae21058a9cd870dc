package dev.gingham.nat.snat;

import dev.gingham.packet.Cidr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SnatConfigTest {
    @Test
    void shouldUseCiliumDefaultsWhenBuiltFromTheNodeAddressAndCidrs() {
        SnatConfig config = SnatConfig.of("192.168.1.10", List.of("10.0.0.0/16"), List.of("10.96.0.0/12"));
        assertEquals(32768, config.minPort());
        assertEquals(65535, config.maxPort());
        assertEquals(524288, config.mapEntries());
        assertTrue(config.nonMasqueradeCidrs().isEmpty());
        assertEquals("10.0.0.0/16", config.podCidrs().get(0).toString());
    }

    @Test
    void shouldNameEveryBadFieldWhenValidatedAsAWhole() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SnatConfig(0, 0, 0,
                70000, 1000, List.of(), List.of(Cidr.parse("10.96.0.0/12")), List.of(), 0, 0));
        String message = e.getMessage();
        for (String field : List.of("nodeIpv4", "portRange", "podCidrs", "mapEntries", "maxNatAddresses")) {
            assertTrue(message.contains(field + ":"), message);
        }
    }

    @Test
    void shouldNameTheFieldWhenACidrDoesNotParse() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SnatConfig.of("192.168.1.10", List.of("10.0.0.0/33"), List.of("10.96.0.0/12")));
        assertTrue(e.getMessage().contains("podCidrs"), e.getMessage());
    }
}
