package dev.gingham.tap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * Writes one netlink request into a buffer and reads attributes out of replies: the byte layout
 * of {@code linux/netlink.h}, kept apart from {@link Rtnetlink} (which knows what to say) so the
 * encoding can be checked byte for byte without a kernel.
 *
 * <pre>
 *   nlmsghdr (16 bytes, host byte order)        rtattr (4 bytes + value, padded to 4)
 *   +--------+------+-------+-----+-----+        +-----+------+------------+-----+
 *   | len 32 |type16|flags16|seq32|pid32|        |len16|type16| value      | pad |
 *   +--------+------+-------+-----+-----+        +-----+------+------------+-----+
 *   then the family header (ifinfomsg, ifaddrmsg, rtmsg, ndmsg) and the attributes
 * </pre>
 *
 * <p>Netlink is host byte order (integers) except values that are addresses, which are bytes in
 * network order. Not thread-safe; control plane only.
 */
final class NetlinkMessage {
    static final int HEADER_BYTES = 16;
    static final int ATTRIBUTE_HEADER_BYTES = 4;

    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_ACK = 0x4;
    /** NLM_F_ROOT | NLM_F_MATCH: every object of the kind, in one or more replies ending with NLMSG_DONE. */
    static final int NLM_F_DUMP = 0x300;
    static final int NLM_F_REPLACE = 0x100;
    static final int NLM_F_EXCL = 0x200;
    static final int NLM_F_CREATE = 0x400;
    /** In an NLMSG_ERROR reply: extended-ack attributes follow the echoed request. */
    static final int NLM_F_ACK_TLVS = 0x200;
    /** In an NLMSG_ERROR reply: only the header of the request is echoed (NETLINK_CAP_ACK). */
    static final int NLM_F_CAPPED = 0x100;

    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;

    private final MemorySegment buffer;
    private int length;
    private int type;

    NetlinkMessage(MemorySegment buffer) {
        this.buffer = buffer;
    }

    /** Starts a request: the header is completed by {@link #finish}. */
    NetlinkMessage begin(int messageType, int flags, int sequence) {
        buffer.asSlice(0, Math.min(buffer.byteSize(), 512)).fill((byte) 0);
        type = messageType;
        buffer.set(U16, 4, (short) messageType);
        buffer.set(U16, 6, (short) flags);
        buffer.set(U32, 8, sequence);
        buffer.set(U32, 12, 0);
        length = HEADER_BYTES;
        return this;
    }

    NetlinkMessage u8(int value) {
        ensure(1);
        buffer.set(ValueLayout.JAVA_BYTE, length, (byte) value);
        length += 1;
        return this;
    }

    NetlinkMessage u16(int value) {
        ensure(2);
        buffer.set(U16, length, (short) value);
        length += 2;
        return this;
    }

    NetlinkMessage u32(int value) {
        ensure(4);
        buffer.set(U32, length, value);
        length += 4;
        return this;
    }

    /** Appends an attribute holding {@code value} as is (addresses: network order bytes). */
    NetlinkMessage attribute(int attributeType, byte[] value) {
        int at = attributeHeader(attributeType, value.length);
        MemorySegment.copy(value, 0, buffer, ValueLayout.JAVA_BYTE, at + ATTRIBUTE_HEADER_BYTES, value.length);
        return pad();
    }

    NetlinkMessage attributeU32(int attributeType, int value) {
        int at = attributeHeader(attributeType, 4);
        buffer.set(U32, at + ATTRIBUTE_HEADER_BYTES, value);
        return pad();
    }

    /** Appends a NUL-terminated string attribute (IFLA_IFNAME). */
    NetlinkMessage attributeString(int attributeType, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        byte[] terminated = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, terminated, 0, bytes.length);
        return attribute(attributeType, terminated);
    }

    /**
     * Opens a nested attribute (TCA_OPTIONS, IFLA_LINKINFO): the attributes appended until
     * {@link #endNested} are its value. Returns: its offset, for {@code endNested}.
     */
    int beginNested(int attributeType) {
        return attributeHeader(attributeType, 0);
    }

    /** Closes the nested attribute opened at {@code at}: its length now covers everything appended since. */
    NetlinkMessage endNested(int at) {
        buffer.set(U16, at, (short) (length - at));
        return this;
    }

    /** Returns: the total length, after writing it into the header. */
    int finish() {
        buffer.set(U32, 0, length);
        return length;
    }

    int type() {
        return type;
    }

    int length() {
        return length;
    }

    private int attributeHeader(int attributeType, int valueBytes) {
        ensure(ATTRIBUTE_HEADER_BYTES + align(valueBytes));
        int at = length;
        buffer.set(U16, at, (short) (ATTRIBUTE_HEADER_BYTES + valueBytes));
        buffer.set(U16, at + 2, (short) attributeType);
        length += ATTRIBUTE_HEADER_BYTES + valueBytes;
        return at;
    }

    private NetlinkMessage pad() {
        int aligned = align(length);
        buffer.asSlice(length, aligned - length).fill((byte) 0);
        length = aligned;
        return this;
    }

    private void ensure(int bytes) {
        if (length + bytes > buffer.byteSize()) {
            throw new IllegalStateException("netlink request larger than its " + buffer.byteSize() + "-byte buffer");
        }
    }

    /** NLMSG_ALIGN / RTA_ALIGN: 4 bytes. */
    static int align(int bytes) {
        return (bytes + 3) & ~3;
    }

    // ---- reading replies ----------------------------------------------------------------------

    static int messageLength(MemorySegment s, long at) {
        return s.get(U32, at);
    }

    static int messageType(MemorySegment s, long at) {
        return s.get(U16, at + 4) & 0xFFFF;
    }

    static int messageFlags(MemorySegment s, long at) {
        return s.get(U16, at + 6) & 0xFFFF;
    }

    static int messageSequence(MemorySegment s, long at) {
        return s.get(U32, at + 8);
    }

    static int attributeLength(MemorySegment s, long at) {
        return s.get(U16, at) & 0xFFFF;
    }

    /** Returns: the attribute type without the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits. */
    static int attributeType(MemorySegment s, long at) {
        return s.get(U16, at + 2) & 0x3FFF;
    }

    static int u32(MemorySegment s, long at) {
        return s.get(U32, at);
    }

    static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    /** Returns: the attribute's value as a string, up to its NUL. */
    static String string(MemorySegment s, long valueAt, int valueBytes) {
        int n = 0;
        while (n < valueBytes && s.get(ValueLayout.JAVA_BYTE, valueAt + n) != 0) {
            n++;
        }
        byte[] bytes = new byte[n];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, valueAt, bytes, 0, n);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * Returns: the offset of the first attribute of type {@code wanted} between {@code from} and
     * {@code to}, or -1. Attribute values start {@link #ATTRIBUTE_HEADER_BYTES} after it.
     */
    static long find(MemorySegment s, long from, long to, int wanted) {
        long at = from;
        while (at + ATTRIBUTE_HEADER_BYTES <= to) {
            int length = attributeLength(s, at);
            if (length < ATTRIBUTE_HEADER_BYTES || at + length > to) {
                return -1;
            }
            if (attributeType(s, at) == wanted) {
                return at;
            }
            at += align(length);
        }
        return -1;
    }
}
