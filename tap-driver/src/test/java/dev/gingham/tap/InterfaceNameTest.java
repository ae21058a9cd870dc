package dev.gingham.tap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InterfaceNameTest {
    @Test
    void shouldRejectNameWhenLongerThan15Bytes() {
        NetDeviceException e = assertThrows(NetDeviceException.class, () -> TapConfig.of("gingham-pod-0001"));

        assertEquals(NetDeviceException.Reason.INVALID_NAME, e.reason());
        assertTrue(e.getMessage().contains("'gingham-pod-0001'") && e.getMessage().contains("16 bytes"), e.getMessage());
    }

    @Test
    void shouldAcceptNameWhenExactly15Bytes() {
        assertEquals("gingham-pod-001", TapConfig.of("gingham-pod-001").name());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "a/b", "a:1", "a b", "tab\tx"})
    void shouldRejectNameWhenKernelWouldRefuseIt(String name) {
        NetDeviceException e = assertThrows(NetDeviceException.class, () -> InterfaceName.validate(name));

        assertEquals(NetDeviceException.Reason.INVALID_NAME, e.reason());
    }

    @Test
    void shouldRejectOffloadsWhenVnetHeaderIsOff() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TapConfig("tap0", 1, false, TapConfig.OFFLOAD_CSUM, false, null));

        assertTrue(e.getMessage().contains("vnet header"), e.getMessage());
    }

    @Test
    void shouldRejectSegmentationWhenChecksumOffloadIsOff() {
        assertThrows(IllegalArgumentException.class,
                () -> TapConfig.of("tap0").withOffloads(TapConfig.OFFLOAD_TSO4));
    }

    @Test
    void shouldTurnOffloadsOffWhenVnetHeaderIsTurnedOff() {
        TapConfig config = TapConfig.of("tap0").withVnetHeader(false);

        assertEquals(0, config.offloads());
        assertEquals(0, config.vnetHeaderBytes());
    }

    @Test
    void shouldRejectNamespaceWhenNameIsAPath() {
        NetDeviceException e = assertThrows(NetDeviceException.class, () -> TapConfig.of("tap0").inNamespace("../etc"));

        assertEquals(NetDeviceException.Reason.NAMESPACE_MISSING, e.reason());
    }
}
