package dev.gingham.conntrack;

import dev.gingham.packet.DropReason;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static dev.gingham.packet.PacketBuilder.ACK;
import static dev.gingham.packet.PacketBuilder.SYN;
import static dev.gingham.packet.PacketBuilder.ipPacketOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ICMP errors tied to the flows they are about. Pod 10.0.1.5 (fd00::5), remote host
 * 93.184.216.34, client 198.51.100.7, routers 192.0.2.1 / 203.0.113.1.
 */
class CtRelatedTest {
    private static final long T0 = 1_000_000_000_000L;

    private final Frames frames = new Frames();
    private final CtTable table = CtTable.create(CtConfig.defaults().withMaxEntries(64, 64), 3L);
    private final CtResult result = new CtResult();

    @AfterEach
    void tearDown() {
        table.close();
        frames.close();
    }

    private long create(byte[] frame) {
        int i = frames.only(frame);
        assertEquals(CtStatus.NEW, table.lookup(frames.vector, i, result));
        long entry = table.create(frames.vector, i, T0, result);
        assertTrue(entry >= 0);
        return entry;
    }

    private int lookup(byte[] frame) {
        return table.lookup(frames.vector, frames.only(frame), result);
    }

    @Test
    void shouldBeRelatedInReplyDirectionWhenRouterRejectsThePodsOutgoingSyn() {
        byte[] syn = PacketBuilder.tcp4("10.0.1.5", 40000, "93.184.216.34", 443).flags(SYN).dontFragment().payload(1400).build();
        long entry = create(syn);
        int stateBefore = result.entry().stateWord();
        long expiresBefore = result.entry().expiresAtNs();

        byte[] fragNeeded = PacketBuilder.icmp4FragNeeded("192.0.2.1", "10.0.1.5", 1400, ipPacketOf(syn)).build();
        assertEquals(CtStatus.RELATED, lookup(fragNeeded));
        assertEquals(entry, result.entryOffset());
        assertEquals(CtResult.REPLY, result.direction(), "the error travels back to the pod");

        table.account(frames.vector, 0, T0 + 1_000_000_000L, result);
        assertEquals(2, result.entry().packets(), "the SYN that created the flow, then the error");
        assertEquals(syn.length + fragNeeded.length, result.entry().bytes());
        assertEquals(stateBefore, result.entry().stateWord(), "an error changes no TCP state");
        assertEquals(expiresBefore, result.entry().expiresAtNs(), "nor extends the flow's life");
    }

    @Test
    void shouldBeRelatedInReplyDirectionWhenPodAnswersForwardedDatagramWithPortUnreachable() {
        byte[] query = PacketBuilder.udp4("198.51.100.7", 5555, "10.0.1.5", 53).payload(40).build();
        long entry = create(query);
        byte[] unreachable = PacketBuilder.icmp4Error(3, 3, "10.0.1.5", "198.51.100.7", ipPacketOf(query)).build();
        assertEquals(CtStatus.RELATED, lookup(unreachable));
        assertEquals(entry, result.entryOffset());
        assertEquals(CtResult.REPLY, result.direction());
        assertEquals(table.mapFor(17, true), result.map());
    }

    @Test
    void shouldBeRelatedInOriginalDirectionWhenNetworkRejectsThePodsReply() {
        byte[] query = PacketBuilder.udp4("198.51.100.7", 5555, "10.0.1.5", 53).build();
        long entry = create(query);
        byte[] answer = PacketBuilder.udp4("10.0.1.5", 53, "198.51.100.7", 5555).payload(200).build();
        assertEquals(CtStatus.REPLY, lookup(answer));

        byte[] timeExceeded = PacketBuilder.icmp4Error(11, 0, "203.0.113.1", "10.0.1.5", ipPacketOf(answer)).build();
        assertEquals(CtStatus.RELATED, lookup(timeExceeded));
        assertEquals(entry, result.entryOffset());
        assertEquals(CtResult.ORIGINAL, result.direction(), "the quote is a reply, so the error runs the original way");
        assertEquals(5555, result.key().srcPort(), "the key that matched is the flow's original tuple");
        table.account(frames.vector, 0, T0, result);
        assertEquals(2, result.entry().packets(), "the query, then the error (the answer was only looked up)");
    }

    @Test
    void shouldBeRelatedWhenIcmp6PacketTooBigQuotesTcp6() {
        byte[] data = PacketBuilder.tcp6("fd00::5", 40000, "2001:db8::80", 443).flags(ACK).payload(1400).build();
        long entry = create(data);
        byte[] tooBig = PacketBuilder.icmp6PacketTooBig("2001:db8::1", "fd00::5", 1280, ipPacketOf(data)).build();
        assertEquals(CtStatus.RELATED, lookup(tooBig));
        assertEquals(entry, result.entryOffset());
        assertEquals(table.mapFor(6, false), result.map(), "an IPv6 flow is in the IPv6 TCP map");
        assertEquals(CtResult.REPLY, result.direction());
    }

    @Test
    void shouldBeRelatedWhenErrorQuotesAnEchoRequest() {
        byte[] ping = PacketBuilder.icmp4Echo("10.0.1.5", "93.184.216.34", 0x77, 1).ttl(1).build();
        long entry = create(ping);
        assertEquals(CtStatus.RELATED, lookup(PacketBuilder.icmp4Error(11, 0, "192.0.2.1", "10.0.1.5", ipPacketOf(ping)).build()));
        assertEquals(entry, result.entryOffset());
    }

    @Test
    void shouldBeNewUnderItsOwnTupleWhenErrorQuotesAnUnknownFlow() {
        byte[] stranger = PacketBuilder.udp4("10.0.1.9", 1, "93.184.216.34", 2).build();
        assertEquals(CtStatus.NEW, lookup(PacketBuilder.icmp4Error(3, 1, "192.0.2.1", "10.0.1.9", ipPacketOf(stranger)).build()));
        assertEquals(1, result.key().protocol());
        assertEquals(0x0000_FFFF_C000_0201L, result.key().srcLo());
        assertEquals(0, result.key().srcPort());
    }

    @Test
    void shouldDropWhenErrorQuoteIsBogus() {
        byte[] syn = ipPacketOf(PacketBuilder.tcp4("10.0.1.5", 40000, "93.184.216.34", 443).flags(SYN).build());
        create(PacketBuilder.tcp4("10.0.1.5", 40000, "93.184.216.34", 443).flags(SYN).build());
        byte[] badVersion = syn.clone();
        badVersion[0] = 0x55;
        assertEquals(DropReason.ICMP_EMBEDDED_INVALID.verdict(), lookup(PacketBuilder.icmp4Error(3, 4, "192.0.2.1", "10.0.1.5", badVersion).build()));
        byte[] noPorts = Arrays.copyOf(syn, 20 + 3);
        assertEquals(DropReason.ICMP_EMBEDDED_INVALID.verdict(), lookup(PacketBuilder.icmp4Error(3, 4, "192.0.2.1", "10.0.1.5", noPorts).build()));
    }

    @Test
    void shouldNeverThrowWhenQuoteIsCutAtEveryLength() {
        byte[] syn = PacketBuilder.tcp4("10.0.1.5", 40000, "93.184.216.34", 443).flags(SYN).mss(1460).build();
        create(syn);
        byte[] quote = ipPacketOf(syn);
        for (int cut = 0; cut <= quote.length; cut++) {
            int status = lookup(PacketBuilder.icmp4Error(3, 4, "192.0.2.1", "10.0.1.5", Arrays.copyOf(quote, cut)).build());
            assertEquals(cut >= 28 ? CtStatus.RELATED : DropReason.ICMP_EMBEDDED_INVALID.verdict(), status, "quote cut at " + cut);
        }
    }
}
