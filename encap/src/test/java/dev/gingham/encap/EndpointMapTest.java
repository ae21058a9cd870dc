package dev.gingham.encap;

import dev.gingham.maps.MapErrors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The port-indexed MACs of the endpoint map: what anti-spoofing checks link-local frames against. */
class EndpointMapTest {

    @Test
    void shouldAnswerThePodsMacForItsPortAndNoMacForOtherPorts() {
        try (EndpointMap endpoints = EndpointMap.create(4)) {
            assertEquals(MapErrors.OK, endpoints.upsertPortMac(2, 0x0A_00_00_00_00_05L));

            assertEquals(0x0A_00_00_00_00_05L, endpoints.portMac(2));
            assertEquals(EndpointMap.NO_MAC, endpoints.portMac(1), "a port no pod is on");
            assertEquals(EndpointMap.NO_MAC, endpoints.portMac(4), "past the pod ports (the underlay, the host)");
            assertEquals(EndpointMap.NO_MAC, endpoints.portMac(-1));
        }
    }

    @Test
    void shouldTellAZeroMacFromNoMacWhenAPortIsSetToIt() {
        try (EndpointMap endpoints = EndpointMap.create(4)) {
            endpoints.upsertPortMac(0, 0L);

            assertEquals(0L, endpoints.portMac(0));
            assertEquals(EndpointMap.NO_MAC, endpoints.portMac(1));
        }
    }

    @Test
    void shouldForgetThePortsMacWhenItsPodIsRemoved() {
        try (EndpointMap endpoints = EndpointMap.create(4)) {
            endpoints.upsertPortMac(3, 0x0A_00_00_00_00_07L);
            assertEquals(MapErrors.OK, endpoints.removePortMac(3));

            assertEquals(EndpointMap.NO_MAC, endpoints.portMac(3));
            assertEquals(MapErrors.EINVAL, endpoints.upsertPortMac(4, 1L), "not a pod port");
        }
    }

    @Test
    void shouldKeepPortMacsWhenPinnedMapsAreReopened(@TempDir Path dir) {
        try (EndpointMap endpoints = EndpointMap.pinned(dir, 8)) {
            endpoints.upsertPortMac(5, 0x0A_00_00_00_00_06L);
        }
        try (EndpointMap endpoints = EndpointMap.pinned(dir, 8)) {
            assertEquals(0x0A_00_00_00_00_06L, endpoints.portMac(5));
            assertEquals(EndpointMap.NO_MAC, endpoints.portMac(6));
        }
    }

    @Test
    void shouldVisitEveryAddressWithItsPortWhenDumped() {
        try (EndpointMap endpoints = EndpointMap.create(4)) {
            long v4Lo = dev.gingham.packet.MappedAddress.lo4(0x0AF4_0105); // 10.244.1.5
            endpoints.upsert(0L, v4Lo, 2, 0x0A_00_00_00_00_05L, 300);
            endpoints.upsert(0xFD00_0077_0000_0000L, 5L, 3, 0x0A_00_00_00_00_06L, 301);
            java.util.List<String> seen = new java.util.ArrayList<>();

            int visited = endpoints.forEachAddress((hi, lo, port) -> seen.add(Long.toHexString(hi) + "/" + Long.toHexString(lo) + "@" + port));

            assertEquals(2, visited);
            assertEquals(java.util.List.of("0/ffff0af40105@2", "fd00007700000000/5@3"), seen);
        }
    }
}
