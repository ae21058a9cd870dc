package dev.gingham.packet.header;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AddressesTest {

    // ---------------------------------------------------------------- IPv4

    @ParameterizedTest
    @CsvSource({
        "0.0.0.0, 0x00000000",
        "10.0.0.1, 0x0A000001",
        "192.168.1.10, 0xC0A8010A",
        "172.16.0.1, 0xAC100001",
        "255.255.255.255, 0xFFFFFFFF",
        "1.2.3.4, 0x01020304",
    })
    void shouldRoundTripWhenIpv4IsValid(String text, String hex) {
        int address = Integer.parseUnsignedInt(hex.substring(2), 16);
        assertEquals(address, Addresses.parseIpv4(text));
        assertEquals(text, Addresses.formatIpv4(address));
    }

    @Test
    void shouldRoundTripWhenIpv4IsRandom() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 10_000; i++) {
            int address = random.nextInt();
            assertEquals(address, Addresses.parseIpv4(Addresses.formatIpv4(address)));
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "1.2.3|expected 4 dot-separated octets, found 3",
        "1.2.3.4.5|more than 4 octets",
        "256.0.0.1|octet 256 is greater than 255",
        "01.2.3.4|octet \"01\" has a leading zero",
        "1..3.4|empty octet",
        "1.2.3.|empty octet",
        "1.2.3.a|unexpected character 'a'",
        "1234.1.1.1|octet \"1234\" is too long",
        "'1.2.3.4 '|unexpected character ' '",
        "''|empty octet",
        "-1.2.3.4|unexpected character '-'",
    })
    void shouldExplainWhenIpv4TextIsInvalid(String text, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Addresses.parseIpv4(text));
        assertEquals("invalid IPv4 address \"" + text + "\": " + reason, e.getMessage());
    }

    @Test
    void shouldRejectWhenIpv4TextIsNull() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Addresses.parseIpv4(null));
        assertEquals("invalid IPv4 address: null", e.getMessage());
    }

    // ---------------------------------------------------------------- IPv6

    /** Canonical forms cross-checked with glibc inet_ntop through Python's socket module. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "2001:db8:0:0:1:0:0:1|2001:db8::1:0:0:1|0x20010db800000000|0x0001000000000001",
        "2001:0db8:0:0:0:0:2:1|2001:db8::2:1|0x20010db800000000|0x0000000000020001",
        "2001:db8:0:1:1:1:1:1|2001:db8:0:1:1:1:1:1|0x20010db800000001|0x0001000100010001",
        "2001:0:0:1:0:0:0:1|2001:0:0:1::1|0x2001000000000001|0x0000000000000001",
        "0:0:0:0:0:0:0:0|::|0x0000000000000000|0x0000000000000000",
        "::1|::1|0x0000000000000000|0x0000000000000001",
        "1:0:0:0:0:0:0:0|1::|0x0001000000000000|0x0000000000000000",
        "fe80::1|fe80::1|0xfe80000000000000|0x0000000000000001",
        "ff02:0:0:0:0:1:ff00:99|ff02::1:ff00:99|0xff02000000000000|0x00000001ff000099",
        "::ffff:192.0.2.1|::ffff:192.0.2.1|0x0000000000000000|0x0000ffffc0000201",
        "::ffff:c000:201|::ffff:192.0.2.1|0x0000000000000000|0x0000ffffc0000201",
        "2001:DB8::A|2001:db8::a|0x20010db800000000|0x000000000000000a",
        "1:2:3:4:5:6:7:8|1:2:3:4:5:6:7:8|0x0001000200030004|0x0005000600070008",
        "::1:2:3:4:5:6:7|0:1:2:3:4:5:6:7|0x0000000100020003|0x0004000500060007",
        "1:2:3:4:5:6:7::|1:2:3:4:5:6:7:0|0x0001000200030004|0x0005000600070000",
        "1:0:2:0:0:3:0:0|1:0:2::3:0:0|0x0001000000020000|0x0000000300000000",
        "2001:db8:0:0:1::2|2001:db8::1:0:0:2|0x20010db800000000|0x0001000000000002",
        "64:ff9b::192.0.2.33|64:ff9b::c000:221|0x0064ff9b00000000|0x00000000c0000221",
        "2001:0db8:0000:0000:0000:0000:0000:0001|2001:db8::1|0x20010db800000000|0x0000000000000001",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff|ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff|0xffffffffffffffff|0xffffffffffffffff",
    })
    void shouldParseAndFormatCanonicallyWhenIpv6IsValid(String text, String canonical, String hi, String lo) {
        long expectedHi = Long.parseUnsignedLong(hi.substring(2), 16);
        long expectedLo = Long.parseUnsignedLong(lo.substring(2), 16);
        assertEquals(expectedHi, Addresses.parseIpv6Hi(text));
        assertEquals(expectedLo, Addresses.parseIpv6Lo(text));
        long[] hiLo = new long[2];
        Addresses.parseIpv6(text, hiLo);
        assertEquals(expectedHi, hiLo[0]);
        assertEquals(expectedLo, hiLo[1]);
        assertEquals(canonical, Addresses.formatIpv6(expectedHi, expectedLo));
        assertEquals(expectedHi, Addresses.parseIpv6Hi(canonical));
        assertEquals(expectedLo, Addresses.parseIpv6Lo(canonical));
    }

    @ParameterizedTest
    @CsvSource({
            "10.0.0.7,      80, 10.0.0.7:80,      10.0.0.7",
            "10.0.0.7,      -1, 10.0.0.7,         10.0.0.7",
            "2001:db8::1,   80, [2001:db8::1]:80, 2001:db8::1",
            "2001:db8::1,   -1, 2001:db8::1,      2001:db8::1",
            "::ffff:1.2.3.4, 0, 1.2.3.4:0,        1.2.3.4",
    })
    void shouldFormatFlowTupleAddressesWithBracketsOnlyAroundIpv6WithAPort(String text, int port, String endpoint,
                                                                        String address) {
        long hi = Addresses.parseIpv6Hi(text.contains(":") ? text : "::ffff:" + text);
        long lo = Addresses.parseIpv6Lo(text.contains(":") ? text : "::ffff:" + text);
        assertEquals(endpoint, Addresses.formatEndpoint(hi, lo, port));
        assertEquals(address, Addresses.formatMapped(hi, lo));
    }

    @Test
    void shouldRoundTripWhenIpv6IsRandom() {
        SplittableRandom random = new SplittableRandom(11);
        long[] hiLo = new long[2];
        for (int i = 0; i < 10_000; i++) {
            // Zero some groups so that "::" runs of every length and position appear.
            long hi = random.nextLong() & random.nextLong() & random.nextLong();
            long lo = random.nextLong() & random.nextLong() & random.nextLong();
            String text = Addresses.formatIpv6(hi, lo);
            Addresses.parseIpv6(text, hiLo);
            assertEquals(hi, hiLo[0], text);
            assertEquals(lo, hiLo[1], text);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "1:2:3:4:5:6:7|expected 8 groups, found 7",
        "1:2:3:4:5:6:7:8:9|too many groups",
        "1:2:3:4:5:6:7:8::|too many groups for \"::\"",
        "1::2::3|more than one \"::\"",
        "1:::2|more than one \"::\"",
        "12345::|group \"12345\" has more than 4 hex digits",
        "g::|unexpected character 'g'",
        "fe80::1%eth0|zone ids are not supported",
        "[::1]|unexpected character '['",
        "2001:db8::/32|a prefix length is not part of an address",
        ":1::|empty group",
        "1::2:|empty group",
        "1:|empty group",
        ":|empty group",
        "1.2.3.4::|an embedded IPv4 address must come last",
        "::1.2.3|expected 4 dot-separated octets, found 3",
        "::ffff:1.2.3.256|octet 256 is greater than 255",
        "1:2:3:4:5:6:7:1.2.3.4|too many groups",
        "''|empty",
    })
    void shouldExplainWhenIpv6TextIsInvalid(String text, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Addresses.parseIpv6Hi(text));
        assertEquals("invalid IPv6 address \"" + text + "\": " + reason, e.getMessage());
    }

    @Test
    void shouldRejectWhenIpv6TextIsNull() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Addresses.parseIpv6Lo(null));
        assertEquals("invalid IPv6 address: null", e.getMessage());
    }

    // ---------------------------------------------------------------- MAC

    @ParameterizedTest
    @CsvSource({
        "00:00:00:00:00:00, 0x000000000000",
        "02:00:00:00:00:01, 0x020000000001",
        "0a:1b:2c:3d:4e:5f, 0x0a1b2c3d4e5f",
        "ff:ff:ff:ff:ff:ff, 0xffffffffffff",
    })
    void shouldRoundTripWhenMacIsValid(String text, String hex) {
        long mac = Long.parseLong(hex.substring(2), 16);
        assertEquals(mac, Addresses.parseMac(text));
        assertEquals(text, Addresses.formatMac(mac));
    }

    @Test
    void shouldAcceptUppercaseAndIgnoreHighBitsWhenConvertingMac() {
        assertEquals(0xAABB_CCDD_EEFFL, Addresses.parseMac("AA:BB:cc:DD:ee:FF"));
        assertEquals("00:00:00:00:00:01", Addresses.formatMac(0xFFFF_0000_0000_0001L));
        assertEquals(EthernetHeader.BROADCAST_MAC, Addresses.parseMac("ff:ff:ff:ff:ff:ff"));
    }

    @Test
    void shouldRoundTripWhenMacIsRandom() {
        SplittableRandom random = new SplittableRandom(13);
        for (int i = 0; i < 10_000; i++) {
            long mac = random.nextLong() & 0xFFFF_FFFF_FFFFL;
            assertEquals(mac, Addresses.parseMac(Addresses.formatMac(mac)));
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "aa:bb:cc:dd:ee|expected 17 characters like \"aa:bb:cc:dd:ee:ff\", found 14",
        "aa:bb:cc:dd:ee:ff:00|expected 17 characters like \"aa:bb:cc:dd:ee:ff\", found 20",
        "aa-bb-cc-dd-ee-ff|expected ':' at index 2",
        "gg:bb:cc:dd:ee:ff|octet 1 is not two hex digits",
        "'aa:bb:cc:dd:ee:f '|octet 6 is not two hex digits",
        "aabb.ccdd.eeff.00|expected ':' at index 2",
    })
    void shouldExplainWhenMacTextIsInvalid(String text, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Addresses.parseMac(text));
        assertEquals("invalid MAC address \"" + text + "\": " + reason, e.getMessage());
    }

    @Test
    void shouldRejectWhenMacTextIsNull() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Addresses.parseMac(null));
        assertEquals("invalid MAC address: null", e.getMessage());
    }
}
