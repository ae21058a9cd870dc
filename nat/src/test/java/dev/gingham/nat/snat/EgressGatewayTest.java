package dev.gingham.nat.snat;

import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class EgressGatewayTest {
    private static final IpAddress POD_A = IpAddress.parse("10.0.1.5");
    private static final IpAddress POD_B = IpAddress.parse("10.0.1.6");
    private static final IpAddress GW1 = IpAddress.parse("192.168.1.201");
    private static final IpAddress GW2 = IpAddress.parse("192.168.1.202");

    private static int egress(EgressGateway gateway, IpAddress src, String dst) {
        return gateway.egressIp4(src.v4(), IpAddress.parse(dst).v4());
    }

    @Test
    void shouldReturnEgressIpWhenSelectedPodSendsToMatchingCidr() {
        try (EgressGateway gateway = EgressGateway.create(16, 16)) {
            gateway.apply(List.of(new EgressPolicy("db", List.of(POD_A), List.of(Cidr.parse("203.0.113.0/24")), GW1)));
            assertEquals(GW1.v4(), egress(gateway, POD_A, "203.0.113.9"));
            SnatResult out = new SnatResult();
            IpAddress dst = IpAddress.parse("203.0.113.9");
            assertTrue(gateway.egress(POD_A.hi(), POD_A.lo(), dst.hi(), dst.lo(), out));
            assertEquals(GW1.lo(), out.natLo);
        }
    }

    @Test
    void shouldReturnNoneWhenPodIsNotSelectedOrDestinationDoesNotMatch() {
        try (EgressGateway gateway = EgressGateway.create(16, 16)) {
            gateway.apply(List.of(new EgressPolicy("db", List.of(POD_A), List.of(Cidr.parse("203.0.113.0/24")), GW1)));
            assertEquals(EgressGateway.NONE, egress(gateway, POD_B, "203.0.113.9"));
            assertEquals(EgressGateway.NONE, egress(gateway, POD_A, "198.51.100.1"));
            SnatResult out = new SnatResult();
            IpAddress dst = IpAddress.parse("198.51.100.1");
            assertFalse(gateway.egress(POD_A.hi(), POD_A.lo(), dst.hi(), dst.lo(), out));
        }
    }

    @Test
    void shouldPickLongestPrefixWhenDestinationCidrsOverlap() {
        try (EgressGateway gateway = EgressGateway.create(16, 16)) {
            gateway.apply(List.of(
                    new EgressPolicy("wide", List.of(POD_A, POD_B), List.of(Cidr.parse("203.0.0.0/8")), GW1),
                    new EgressPolicy("narrow", List.of(POD_A), List.of(Cidr.parse("203.0.113.0/24")), GW2)));
            assertEquals(GW2.v4(), egress(gateway, POD_A, "203.0.113.9"));
            assertEquals(GW1.v4(), egress(gateway, POD_A, "203.1.1.1"));
            assertEquals(GW1.v4(), egress(gateway, POD_B, "203.0.113.9"), "pod B is selected only by the wide policy");
        }
    }

    @Test
    void shouldMatchIpv6PodsAndDestinations() {
        IpAddress pod = IpAddress.parse("fd00::5");
        IpAddress gw = IpAddress.parse("2001:db8::201");
        try (EgressGateway gateway = EgressGateway.create(16, 16)) {
            gateway.apply(List.of(new EgressPolicy("v6", List.of(pod), List.of(Cidr.parse("2606:4700::/32")), gw)));
            SnatResult out = new SnatResult();
            IpAddress inside = IpAddress.parse("2606:4700::1111");
            IpAddress outside = IpAddress.parse("2606:4701::1");
            assertTrue(gateway.egress(pod.hi(), pod.lo(), inside.hi(), inside.lo(), out));
            assertEquals(gw.hi(), out.natHi);
            assertEquals(gw.lo(), out.natLo);
            assertFalse(gateway.egress(pod.hi(), pod.lo(), outside.hi(), outside.lo(), out));
        }
    }

    @Test
    void shouldRejectPolicySetWhenItExceedsCapacityAndKeepThePreviousOne() {
        try (EgressGateway gateway = EgressGateway.create(1, 16)) {
            gateway.apply(List.of(new EgressPolicy("db", List.of(POD_A), List.of(Cidr.parse("203.0.113.0/24")), GW1)));
            assertThrows(IllegalArgumentException.class, () -> gateway.apply(List.of(
                    new EgressPolicy("db", List.of(POD_A, POD_B), List.of(Cidr.parse("203.0.113.0/24")), GW1))));
            assertEquals(GW1.v4(), egress(gateway, POD_A, "203.0.113.9"));
        }
    }

    @Test
    void shouldNeverShowAHalfAppliedSetWhenReplacedUnderAConcurrentReader() throws Exception {
        // Set 1: pod A -> GW1 for all of 203.0.113.0/24's /28s; set 2: the same with GW2.
        // A reader sees only one egress IP across the whole set per lookup pair and never NONE.
        List<Cidr> cidrs = new java.util.ArrayList<>();
        for (int i = 0; i < 16; i++) {
            cidrs.add(Cidr.parse("203.0.113." + (i * 16) + "/28"));
        }
        List<EgressPolicy> set1 = List.of(new EgressPolicy("p", List.of(POD_A), cidrs, GW1));
        List<EgressPolicy> set2 = List.of(new EgressPolicy("p", List.of(POD_A), cidrs, GW2));
        try (EgressGateway gateway = EgressGateway.create(16, 64)) {
            gateway.apply(set1);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<String> failure = new AtomicReference<>();
            Thread reader = new Thread(() -> {
                int dst = IpAddress.parse("203.0.113.0").v4();
                long lookups = 0;
                while (!stop.get() || lookups < 1000) {
                    int ip = gateway.egressIp4(POD_A.v4(), dst + (int) (lookups & 0xFF));
                    if (ip != GW1.v4() && ip != GW2.v4()) {
                        failure.compareAndSet(null, "lookup " + lookups + " saw " + ip);
                    }
                    lookups++;
                }
            });
            reader.start();
            for (int i = 0; i < 300; i++) {
                gateway.apply((i & 1) == 0 ? set2 : set1);
            }
            stop.set(true);
            reader.join();
            assertEquals(null, failure.get());
        }
    }
}
