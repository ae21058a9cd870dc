package dev.gingham.nat.snat;

import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MasqueradePolicyTest {
    private static SnatConfig config() {
        return new SnatConfig(IpAddress.parse("192.168.1.10").v4(), 0, 0, 32768, 65535,
                List.of(Cidr.parse("10.0.0.0/16"), Cidr.parse("fd00:10::/64")),
                List.of(Cidr.parse("10.96.0.0/12"), Cidr.parse("fd00:96::/108")),
                List.of(Cidr.parse("172.16.0.0/12"), Cidr.parse("2001:db8::/32")), 64, 4);
    }

    private static boolean masq(MasqueradePolicy policy, String address) {
        IpAddress ip = IpAddress.parse(address);
        return policy.masquerade(ip.hi(), ip.lo());
    }

    @Test
    void shouldNotMasqueradeWhenDestinationIsInPodCidr() {
        try (MasqueradePolicy policy = MasqueradePolicy.create(config())) {
            assertFalse(masq(policy, "10.0.3.4"));
            assertFalse(masq(policy, "fd00:10::1234"));
            IpAddress ip = IpAddress.parse("10.0.3.4");
            assertEquals(MasqueradePolicy.EXCLUDED_POD_CIDR, policy.exclusion(ip.hi(), ip.lo()));
        }
    }

    @Test
    void shouldNotMasqueradeWhenDestinationIsInServiceCidr() {
        try (MasqueradePolicy policy = MasqueradePolicy.create(config())) {
            assertFalse(masq(policy, "10.96.0.10"));
            assertFalse(policy.masquerade4(IpAddress.parse("10.111.2.3").v4()));
            assertFalse(masq(policy, "fd00:96::a"));
            IpAddress ip = IpAddress.parse("fd00:96::a");
            assertEquals(MasqueradePolicy.EXCLUDED_SERVICE_CIDR, policy.exclusion(ip.hi(), ip.lo()));
        }
    }

    @Test
    void shouldNotMasqueradeWhenDestinationIsInConfiguredCidr() {
        try (MasqueradePolicy policy = MasqueradePolicy.create(config())) {
            assertFalse(masq(policy, "172.20.1.1"));
            assertFalse(masq(policy, "2001:db8:1::1"));
            IpAddress ip = IpAddress.parse("172.20.1.1");
            assertEquals(MasqueradePolicy.EXCLUDED_CONFIGURED_CIDR, policy.exclusion(ip.hi(), ip.lo()));
        }
    }

    @Test
    void shouldMasqueradeWhenDestinationIsOutsideEveryExclusion() {
        try (MasqueradePolicy policy = MasqueradePolicy.create(config())) {
            assertTrue(masq(policy, "8.8.8.8"));
            assertTrue(masq(policy, "10.1.0.1")); // beside the pod /16
            assertTrue(masq(policy, "192.168.0.1")); // RFC 1918 is not excluded by default (Cilium)
            assertTrue(policy.masquerade4(IpAddress.parse("1.1.1.1").v4()));
            assertTrue(masq(policy, "2606:4700::1111"));
            assertTrue(masq(policy, "fd00:96::10:0")); // just past the service /108
            IpAddress ip = IpAddress.parse("8.8.8.8");
            assertEquals(MasqueradePolicy.MASQUERADE, policy.exclusion(ip.hi(), ip.lo()));
        }
    }
}
