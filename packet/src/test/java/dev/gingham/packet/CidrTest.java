package dev.gingham.packet;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CidrTest {
    @Test
    void shouldClearHostBitsWhenMasked() {
        assertEquals(Cidr.parse("10.1.0.0/16"), Cidr.parse("10.1.2.3/16").masked());
        assertEquals(Cidr.parse("0.0.0.0/0"), Cidr.parse("10.1.2.3/0").masked());
        assertEquals(Cidr.parse("fd00:1::/32"), Cidr.parse("fd00:1:2::9/32").masked());
        assertEquals(Cidr.parse("fd00:1:2:3:4::/80"), Cidr.parse("fd00:1:2:3:4:5:6:7/80").masked());
        assertEquals(128, Cidr.parse("::1/128").bits128());
        assertEquals(96 + 24, Cidr.parse("10.0.0.0/24").bits128());
    }

    @Test
    void shouldContainOnlyNarrowerPrefixesOfTheSameFamilyInside() {
        Cidr ten = Cidr.parse("10.0.0.0/8");
        assertTrue(ten.contains(Cidr.parse("10.9.0.0/16")));
        assertTrue(ten.contains(ten));
        assertFalse(ten.contains(Cidr.parse("0.0.0.0/0")), "wider");
        assertFalse(ten.contains(Cidr.parse("11.0.0.0/16")), "outside");
        assertFalse(Cidr.parse("::/0").contains(ten), "other family");
        assertTrue(Cidr.parse("0.0.0.0/0").contains(ten));
        Cidr v6 = Cidr.parse("fd00::/64");
        assertTrue(v6.contains(Cidr.parse("fd00::1/128")));
        assertFalse(v6.contains(Cidr.parse("fd00:0:0:1::/80")));
    }

    @Test
    void shouldContainAnAddressWhenItsPrefixBitsMatch() {
        Cidr net = Cidr.parse("192.168.1.0/24");
        assertTrue(net.contains(0, MappedAddress.lo4(0xC0A8_01FE)));
        assertFalse(net.contains(0, MappedAddress.lo4(0xC0A8_02FE)));
    }

    @Test
    void shouldReadABareAddressAsAHostPrefixOnlyWhenAskedTo() {
        assertEquals(Cidr.parse("10.0.0.1/32"), Cidr.parseAddressOrPrefix("10.0.0.1"));
        assertEquals(Cidr.parse("fd00::1/128"), Cidr.parseAddressOrPrefix("fd00::1"));
        assertEquals(Cidr.ipv4(0x0A00_0000, 8), Cidr.parseAddressOrPrefix("10.0.0.0/8"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.0.0.1"));
        assertTrue(e.getMessage().contains("10.0.0.1"), e.getMessage());
    }
}
