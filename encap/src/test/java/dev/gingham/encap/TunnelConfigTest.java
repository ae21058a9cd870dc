package dev.gingham.encap;

import org.junit.jupiter.api.Test;

import static dev.gingham.encap.Overlay.nodeA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TunnelConfigTest {

    @Test
    void shouldGivePodMtuPerModeWhenUnderlayIs1500() {
        assertEquals(1450, nodeA(TunnelMode.VXLAN).build().podMtuBytes());
        assertEquals(1450, nodeA(TunnelMode.GENEVE).build().podMtuBytes());
        assertEquals(1480, nodeA(TunnelMode.IPIP).build().podMtuBytes());
        assertEquals(1500, nodeA(TunnelMode.NATIVE).build().podMtuBytes());
        assertEquals(8950, nodeA(TunnelMode.VXLAN).underlayMtuBytes(9000).build().podMtuBytes());
        TunnelConfig vxlan = nodeA(TunnelMode.VXLAN).build();
        assertEquals(1410, vxlan.mssIpv4Bytes());
        assertEquals(1390, vxlan.mssIpv6Bytes());
    }

    @Test
    void shouldUseLinuxDefaultsWhenOnlyRequiredFieldsAreGiven() {
        TunnelConfig c = nodeA(TunnelMode.VXLAN).build();
        assertEquals(8472, c.vxlanPort());
        assertEquals(8472, c.tunnelPort());
        assertEquals(6081, nodeA(TunnelMode.GENEVE).build().tunnelPort());
        assertEquals(0, nodeA(TunnelMode.IPIP).build().tunnelPort());
        assertEquals(1, c.vni());
        assertEquals(64, c.outerTtl());
        assertEquals(OuterDf.UNSET, c.outerDf());
        assertFalse(c.outerUdpChecksum());
        assertTrue(c.verifyOuterUdpChecksum());
        assertTrue(c.clampMss());
        assertTrue(c.fragmentInner());
        assertEquals(1000, c.icmpErrorsPerSecond());
        assertEquals(50, c.icmpErrorBurst());
        assertFalse(c.identityInVni());
    }

    @Test
    void shouldNameEveryBadFieldWhenConfigurationIsInvalid() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TunnelConfig.builder(
                TunnelMode.VXLAN, 0, 0x0100_0000_0000L, -1, 0xE000_0001, 0).underlayMtuBytes(1320).vxlanPort(6081)
                .vni(1 << 24).outerTtl(0).icmpErrors(-1, 0).routerIpv6(0xFF02_0000_0000_0000L, 1).build());
        String message = e.getMessage();
        for (String field : new String[] {"underlayMtuBytes: 1320 must be 1330..65535 in VXLAN mode", "underlayAddress:",
                "underlayMac:", "routerMac:", "underlayPort:", "routerIpv4:", "routerIpv6:", "vxlanPort:", "vni:",
                "outerTtl:", "icmpErrorsPerSecond:", "icmpErrorBurst:"}) {
            assertTrue(message.contains(field), "message names " + field + ": " + message);
        }
        assertThrows(IllegalArgumentException.class, () -> nodeA(null).build(), "mode: required");
        assertThrows(IllegalArgumentException.class, () -> nodeA(TunnelMode.NATIVE).underlayMtuBytes(1279).build());
        assertEquals(1280, nodeA(TunnelMode.NATIVE).underlayMtuBytes(1280).build().podMtuBytes());
        assertThrows(IllegalArgumentException.class, () -> nodeA(TunnelMode.IPIP).outerDf(null).build());
    }
}
