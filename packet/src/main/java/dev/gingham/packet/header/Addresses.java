package dev.gingham.packet.header;

import dev.gingham.packet.MappedAddress;

import java.nio.charset.StandardCharsets;

/**
 * Text forms of the address representations the flyweights use: IPv4 as an {@code int},
 * IPv6 as two {@code long}s (hi = bytes 0-7, lo = bytes 8-15), MAC as the low 48 bits of a
 * {@code long}.
 *
 * <p>For configuration, the CLI and tests, not the hot path: these methods allocate (but for the
 * byte-array form of {@link #formatIpv6(long, long, byte[], int)}). Parsers are
 * strict (ASCII only, no zone ids, no brackets, no leading zeros in IPv4 octets, which some
 * parsers read as octal) and throw {@link IllegalArgumentException} naming the text and the
 * reason.
 */
public final class Addresses {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Addresses() {
    }

    // ---------------------------------------------------------------- IPv4

    /** Returns: the dotted quad of {@code address}, e.g. {@code 0x0A000001} gives "10.0.0.1". */
    public static String formatIpv4(int address) {
        return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }

    /**
     * Returns: the address of a dotted quad such as "10.0.0.1", as an int in network order.
     *
     * @throws IllegalArgumentException unless the text is exactly four decimal octets 0..255
     */
    public static int parseIpv4(String text) {
        if (text == null) {
            throw new IllegalArgumentException("invalid IPv4 address: null");
        }
        return parseIpv4("IPv4", text, 0, text.length());
    }

    /** Parses the dotted quad in {@code text[from, to)}; errors name {@code kind} and the whole text. */
    private static int parseIpv4(String kind, String text, int from, int to) {
        int address = 0;
        int octets = 0;
        int start = from;
        for (int i = from; i <= to; i++) {
            if (i < to && text.charAt(i) != '.') {
                continue;
            }
            if (octets == 4) {
                throw invalid(kind, text, "more than 4 octets");
            }
            address = (address << 8) | octet(kind, text, start, i);
            octets++;
            start = i + 1;
        }
        if (octets != 4) {
            throw invalid(kind, text, "expected 4 dot-separated octets, found " + octets);
        }
        return address;
    }

    private static int octet(String kind, String text, int from, int to) {
        if (from == to) {
            throw invalid(kind, text, "empty octet");
        }
        if (to - from > 3) {
            throw invalid(kind, text, "octet \"" + text.substring(from, to) + "\" is too long");
        }
        if (to - from > 1 && text.charAt(from) == '0') {
            throw invalid(kind, text, "octet \"" + text.substring(from, to) + "\" has a leading zero");
        }
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                throw invalid(kind, text, "unexpected character '" + c + "'");
            }
            value = value * 10 + (c - '0');
        }
        if (value > 255) {
            throw invalid(kind, text, "octet " + value + " is greater than 255");
        }
        return value;
    }

    /**
     * Returns: a flow-tuple address as text: an IPv4-mapped one ({@link MappedAddress}) dotted,
     * any other in RFC 5952 form ({@link #formatIpv6}).
     */
    public static String formatMapped(long hi, long lo) {
        return MappedAddress.isIpv4(hi, lo) ? formatIpv4(MappedAddress.ip4(lo)) : formatIpv6(hi, lo);
    }

    /**
     * Returns: {@link #formatMapped} with {@code :port} after it, an IPv6 address in brackets
     * (RFC 5952 §6: "[2001:db8::1]:80", never the ambiguous "2001:db8::1:80"); a negative
     * {@code port} gives the address alone, as for a protocol without ports.
     */
    public static String formatEndpoint(long hi, long lo, int port) {
        if (port < 0) {
            return formatMapped(hi, lo);
        }
        return MappedAddress.isIpv4(hi, lo) ? formatIpv4(MappedAddress.ip4(lo)) + ":" + port
                : "[" + formatIpv6(hi, lo) + "]:" + port;
    }

    // ---------------------------------------------------------------- IPv6

    /**
     * Returns: the RFC 5952 canonical text of an IPv6 address: lowercase, no leading zeros, the
     * longest run of two or more zero groups (the first of equal runs) as "::", and an
     * IPv4-mapped address as "::ffff:a.b.c.d".
     */
    public static String formatIpv6(long hi, long lo) {
        byte[] text = new byte[IPV6_TEXT_MAX_BYTES];
        return new String(text, 0, formatIpv6(hi, lo, text, 0), StandardCharsets.US_ASCII);
    }

    private static final byte[] MAPPED_PREFIX = "::ffff:".getBytes(StandardCharsets.US_ASCII);

    /** The longest text {@link #formatIpv6(long, long, byte[], int)} writes (eight groups of four and seven colons). */
    public static final int IPV6_TEXT_MAX_BYTES = 39;

    /**
     * Writes {@link #formatIpv6(long, long)}'s text as ASCII into {@code into} from {@code at}
     * (room for {@link #IPV6_TEXT_MAX_BYTES} needed) and returns the position after it. The one
     * method here that allocates nothing: replay formats an address per frame with it.
     */
    public static int formatIpv6(long hi, long lo, byte[] into, int at) {
        if (MappedAddress.isIpv4(hi, lo)) {
            System.arraycopy(MAPPED_PREFIX, 0, into, at, MAPPED_PREFIX.length);
            at += MAPPED_PREFIX.length;
            int address = MappedAddress.ip4(lo);
            for (int shift = 24; shift >= 0; shift -= 8) {
                int octet = (address >>> shift) & 0xFF;
                if (octet >= 100) {
                    into[at++] = (byte) ('0' + octet / 100);
                }
                if (octet >= 10) {
                    into[at++] = (byte) ('0' + octet / 10 % 10);
                }
                into[at++] = (byte) ('0' + octet % 10);
                if (shift > 0) {
                    into[at++] = '.';
                }
            }
            return at;
        }
        int bestStart = -1;
        int bestLength = 1; // a single zero group is never compressed (RFC 5952 §4.2.2)
        for (int i = 0; i < 8; ) {
            if (group(hi, lo, i) != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && group(hi, lo, j) == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                into[at++] = ':';
                into[at++] = ':';
                i += bestLength - 1;
                continue;
            }
            if (i > 0 && i != bestStart + bestLength) {
                into[at++] = ':';
            }
            int group = group(hi, lo, i);
            for (int shift = 12; shift >= 0; shift -= 4) {
                if (group >>> shift != 0 || shift == 0) {
                    into[at++] = (byte) HEX[(group >>> shift) & 0xF];
                }
            }
        }
        return at;
    }

    /** Returns: 16-bit group {@code i} (0-7) of an address. */
    private static int group(long hi, long lo, int i) {
        return (int) ((i < 4 ? hi : lo) >>> (48 - 16 * (i & 3))) & 0xFFFF;
    }

    /** Returns: bytes 0-7 of the parsed address; see {@link #parseIpv6(String, long[])}. */
    public static long parseIpv6Hi(String text) {
        long[] hiLo = new long[2];
        parseIpv6(text, hiLo);
        return hiLo[0];
    }

    /** Returns: bytes 8-15 of the parsed address; see {@link #parseIpv6(String, long[])}. */
    public static long parseIpv6Lo(String text) {
        long[] hiLo = new long[2];
        parseIpv6(text, hiLo);
        return hiLo[1];
    }

    /**
     * Parses an IPv6 address in any RFC 4291 text form (full, "::"-compressed, with a trailing
     * dotted quad) into {@code hiLo[0]} (bytes 0-7) and {@code hiLo[1]} (bytes 8-15).
     *
     * @throws IllegalArgumentException on anything else, including zone ids ("%eth0"),
     *     brackets and prefix lengths
     */
    public static void parseIpv6(String text, long[] hiLo) {
        if (text == null) {
            throw new IllegalArgumentException("invalid IPv6 address: null");
        }
        if (text.isEmpty()) {
            throw invalid("IPv6", text, "empty");
        }
        if (text.indexOf('%') >= 0) {
            throw invalid("IPv6", text, "zone ids are not supported");
        }
        if (text.indexOf('/') >= 0) {
            throw invalid("IPv6", text, "a prefix length is not part of an address");
        }
        int gap = text.indexOf("::");
        if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
            throw invalid("IPv6", text, "more than one \"::\"");
        }
        int[] groups = new int[8];
        int count;
        if (gap < 0) {
            count = parseGroups(text, 0, text.length(), groups, 0);
            if (count != 8) {
                throw invalid("IPv6", text, "expected 8 groups, found " + count);
            }
        } else {
            int head = parseGroups(text, 0, gap, groups, 0);
            int[] tail = new int[8];
            int tailCount = parseGroups(text, gap + 2, text.length(), tail, head);
            if (head + tailCount > 7) {
                throw invalid("IPv6", text, "too many groups for \"::\"");
            }
            System.arraycopy(tail, 0, groups, 8 - tailCount, tailCount);
        }
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 4; i++) {
            hi = (hi << 16) | groups[i];
            lo = (lo << 16) | groups[4 + i];
        }
        hiLo[0] = hi;
        hiLo[1] = lo;
    }

    /**
     * Parses colon-separated groups of {@code text[from, to)} into {@code groups}; the last one
     * may be a dotted quad (two groups). {@code before} groups precede this run in the address.
     *
     * <p>Returns: the number of 16-bit groups parsed.
     */
    private static int parseGroups(String text, int from, int to, int[] groups, int before) {
        if (from == to) {
            return 0;
        }
        int count = 0;
        int start = from;
        for (int i = from; i <= to; i++) {
            if (i < to && text.charAt(i) != ':') {
                continue;
            }
            if (start == i) {
                throw invalid("IPv6", text, "empty group");
            }
            int dot = text.indexOf('.', start);
            if (dot >= 0 && dot < i) {
                // A dotted quad is allowed only as the last 32 bits of the whole address.
                if (i != text.length()) {
                    throw invalid("IPv6", text, "an embedded IPv4 address must come last");
                }
                if (before + count + 2 > 8) {
                    throw invalid("IPv6", text, "too many groups");
                }
                int v4 = parseIpv4("IPv6", text, start, to);
                groups[count++] = v4 >>> 16;
                groups[count++] = v4 & 0xFFFF;
                return count;
            }
            if (before + count == 8) {
                throw invalid("IPv6", text, "too many groups");
            }
            groups[count++] = hexGroup(text, start, i);
            start = i + 1;
        }
        return count;
    }

    private static int hexGroup(String text, int from, int to) {
        if (to - from > 4) {
            throw invalid("IPv6", text, "group \"" + text.substring(from, to) + "\" has more than 4 hex digits");
        }
        int value = 0;
        for (int i = from; i < to; i++) {
            int digit = hexDigit(text.charAt(i));
            if (digit < 0) {
                throw invalid("IPv6", text, "unexpected character '" + text.charAt(i) + "'");
            }
            value = (value << 4) | digit;
        }
        return value;
    }

    // ---------------------------------------------------------------- MAC

    /** Returns: "aa:bb:cc:dd:ee:ff" for the low 48 bits of {@code mac}, lowercase. */
    public static String formatMac(long mac) {
        char[] text = new char[17];
        for (int i = 0; i < 6; i++) {
            int b = (int) (mac >>> (40 - 8 * i)) & 0xFF;
            text[3 * i] = HEX[b >>> 4];
            text[3 * i + 1] = HEX[b & 0xF];
            if (i < 5) {
                text[3 * i + 2] = ':';
            }
        }
        return new String(text);
    }

    /**
     * Returns: the MAC address of "aa:bb:cc:dd:ee:ff" (either case) in the low 48 bits.
     *
     * @throws IllegalArgumentException unless the text is six two-digit hex octets joined by ':'
     */
    public static long parseMac(String text) {
        if (text == null) {
            throw new IllegalArgumentException("invalid MAC address: null");
        }
        if (text.length() != 17) {
            throw invalid("MAC", text, "expected 17 characters like \"aa:bb:cc:dd:ee:ff\", found " + text.length());
        }
        long mac = 0;
        for (int i = 0; i < 6; i++) {
            int high = hexDigit(text.charAt(3 * i));
            int low = hexDigit(text.charAt(3 * i + 1));
            if (high < 0 || low < 0) {
                throw invalid("MAC", text, "octet " + (i + 1) + " is not two hex digits");
            }
            if (i < 5 && text.charAt(3 * i + 2) != ':') {
                throw invalid("MAC", text, "expected ':' at index " + (3 * i + 2));
            }
            mac = (mac << 8) | (high << 4) | low;
        }
        return mac;
    }

    // ---------------------------------------------------------------- helpers

    /** Returns: the value of an ASCII hex digit, or -1 (Character.digit accepts non-ASCII digits). */
    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static IllegalArgumentException invalid(String kind, String text, String reason) {
        return new IllegalArgumentException("invalid " + kind + " address \"" + text + "\": " + reason);
    }
}
