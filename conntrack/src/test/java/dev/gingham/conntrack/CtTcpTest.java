package dev.gingham.conntrack;

import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static dev.gingham.packet.PacketBuilder.ACK;
import static dev.gingham.packet.PacketBuilder.FIN;
import static dev.gingham.packet.PacketBuilder.PSH;
import static dev.gingham.packet.PacketBuilder.RST;
import static dev.gingham.packet.PacketBuilder.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every TCP transition and lifetime, driven by real frames through the table on a virtual clock. */
class CtTcpTest {
    private static final long S = 1_000_000_000L;
    private static final long T0 = 1_000 * S;
    private static final long SYN_NS = 60 * S;
    private static final long ESTABLISHED_NS = 21_600 * S;
    private static final long CLOSE_NS = 10 * S;

    private final Frames frames = new Frames();
    private final CtTable table = CtTable.create(CtConfig.defaults().withMaxEntries(64, 64), 7L);
    private final CtResult result = new CtResult();
    private final CtSweeper sweeper = new CtSweeper(table, CtExpiryListener.NONE, 1 << 20);

    @AfterEach
    void tearDown() {
        table.close();
        frames.close();
    }

    /** Client to server: 10.0.0.1:40000 -> 10.0.0.2:80. */
    private int fromClient(int flags, long nowNs) {
        return send(PacketBuilder.tcp4("10.0.0.1", 40000, "10.0.0.2", 80).flags(flags).build(), nowNs);
    }

    private int fromServer(int flags, long nowNs) {
        return send(PacketBuilder.tcp4("10.0.0.2", 80, "10.0.0.1", 40000).flags(flags).build(), nowNs);
    }

    /** Runs the hot path for one frame; returns its lookup status. */
    private int send(byte[] frame, long nowNs) {
        int i = frames.only(frame);
        int status = table.lookup(frames.vector, i, result);
        if (status == CtStatus.NEW) {
            assertTrue(table.create(frames.vector, i, nowNs, result) >= 0);
        } else {
            table.account(frames.vector, i, nowNs, result);
        }
        return status;
    }

    private CtEntry entry() {
        return result.entry();
    }

    private void assertState(int state, int flags, long expiresAtNs) {
        assertEquals(CtTcp.name(state), CtTcp.name(entry().tcpState()));
        assertEquals(Integer.toBinaryString(flags), Integer.toBinaryString(entry().flags()));
        assertEquals(expiresAtNs, entry().expiresAtNs());
    }

    @Test
    void shouldReachEstablishedWithItsLifetimeWhenHandshakeCompletes() {
        assertEquals(CtStatus.NEW, fromClient(SYN, T0));
        assertState(CtTcp.SYN_SENT, 0, T0 + SYN_NS);
        assertEquals(1, entry().packets());

        assertEquals(CtStatus.REPLY, fromServer(SYN | ACK, T0 + S));
        assertState(CtTcp.SYN_RECV, CtEntry.FLAG_SEEN_REPLY, T0 + S + SYN_NS);

        assertEquals(CtStatus.ESTABLISHED, fromClient(ACK, T0 + 2 * S));
        assertState(CtTcp.ESTABLISHED, CtEntry.FLAG_SEEN_REPLY | CtEntry.FLAG_SEEN_NON_SYN, T0 + 2 * S + ESTABLISHED_NS);

        assertEquals(CtStatus.REPLY, fromServer(PSH | ACK, T0 + 3 * S));
        assertState(CtTcp.ESTABLISHED, CtEntry.FLAG_SEEN_REPLY | CtEntry.FLAG_SEEN_NON_SYN, T0 + 3 * S + ESTABLISHED_NS);
        assertEquals(1, table.tcpCount());
        assertEquals(0, table.nonTcpCount());
    }

    @Test
    void shouldExpireExactlyAtTheBoundaryWhenNoPacketRefreshesTheEntry() {
        fromClient(SYN, T0);
        assertEquals(0, sweeper.sweepRound(T0 + SYN_NS - 1), "one nanosecond before expiry the entry stays");
        assertEquals(1, table.tcpCount());
        assertEquals(1, sweeper.sweepRound(T0 + SYN_NS), "expiry is inclusive");
        assertEquals(0, table.tcpCount());

        fromClient(SYN, T0);
        fromServer(SYN | ACK, T0);
        fromClient(ACK, T0);
        assertEquals(0, sweeper.sweepRound(T0 + ESTABLISHED_NS - 1));
        assertEquals(1, sweeper.sweepRound(T0 + ESTABLISHED_NS));
    }

    @Test
    void shouldKeepRetransmittedSynInSynSentWhenNoReplyCame() {
        fromClient(SYN, T0);
        assertEquals(CtStatus.ESTABLISHED, fromClient(SYN, T0 + 3 * S));
        assertState(CtTcp.SYN_SENT, 0, T0 + 3 * S + SYN_NS);
    }

    @Test
    void shouldGiveCloseLifetimeOnceWhenBothSidesSendFin() {
        fromClient(SYN, T0);
        fromServer(SYN | ACK, T0);
        fromClient(ACK, T0);
        int open = CtEntry.FLAG_SEEN_REPLY | CtEntry.FLAG_SEEN_NON_SYN;

        fromClient(FIN | ACK, T0 + S);
        assertState(CtTcp.FIN_WAIT, open | CtEntry.FLAG_TX_CLOSING, T0 + S + ESTABLISHED_NS);
        fromServer(ACK, T0 + 2 * S);
        assertState(CtTcp.FIN_WAIT, open | CtEntry.FLAG_TX_CLOSING, T0 + 2 * S + ESTABLISHED_NS);

        fromServer(FIN | ACK, T0 + 3 * S);
        int closing = open | CtEntry.FLAG_TX_CLOSING | CtEntry.FLAG_RX_CLOSING;
        assertState(CtTcp.CLOSING, closing, T0 + 3 * S + CLOSE_NS);

        fromClient(ACK, T0 + 5 * S);
        assertState(CtTcp.CLOSING, closing, T0 + 3 * S + CLOSE_NS);

        assertEquals(0, sweeper.sweepRound(T0 + 3 * S + CLOSE_NS - 1));
        assertEquals(1, sweeper.sweepRound(T0 + 3 * S + CLOSE_NS));
    }

    @Test
    void shouldRecordReplySideWhenServerClosesFirst() {
        fromClient(SYN, T0);
        fromServer(SYN | ACK, T0);
        fromClient(ACK, T0);
        fromServer(FIN | ACK, T0 + S);
        assertState(CtTcp.FIN_WAIT, CtEntry.FLAG_SEEN_REPLY | CtEntry.FLAG_SEEN_NON_SYN | CtEntry.FLAG_RX_CLOSING,
                T0 + S + ESTABLISHED_NS);
        fromServer(FIN | ACK, T0 + 2 * S);
        assertEquals(CtTcp.FIN_WAIT, entry().tcpState(), "a retransmitted FIN from the same side does not close");
    }

    @Test
    void shouldCloseAtOnceAndNotRefreshWhenRstIsSeen() {
        fromClient(SYN, T0);
        fromServer(SYN | ACK, T0);
        fromClient(ACK, T0);
        fromServer(RST, T0 + S);
        int flags = CtEntry.FLAG_SEEN_REPLY | CtEntry.FLAG_SEEN_NON_SYN;
        assertState(CtTcp.CLOSED, flags, T0 + S + CLOSE_NS);

        fromClient(ACK, T0 + 4 * S);
        assertState(CtTcp.CLOSED, flags, T0 + S + CLOSE_NS);
        assertEquals(1, sweeper.sweepRound(T0 + S + CLOSE_NS));
    }

    @Test
    void shouldCloseWhenRstAnswersTheSyn() {
        fromClient(SYN, T0);
        fromServer(RST | ACK, T0 + S);
        assertState(CtTcp.CLOSED, CtEntry.FLAG_SEEN_REPLY | CtEntry.FLAG_SEEN_NON_SYN, T0 + S + CLOSE_NS);
    }

    @Test
    void shouldStartOverWhenClientReusesThePortOfAClosedFlow() {
        fromClient(SYN, T0);
        fromServer(SYN | ACK, T0);
        fromClient(ACK, T0);
        entry().addFlags(CtEntry.FLAG_SNAT);
        fromClient(RST, T0 + S);
        assertEquals(CtStatus.ESTABLISHED, fromClient(SYN, T0 + 2 * S));
        assertState(CtTcp.SYN_SENT, CtEntry.FLAG_SNAT, T0 + 2 * S + SYN_NS);
        assertEquals(CtStatus.REPLY, fromServer(SYN | ACK, T0 + 2 * S));
        assertEquals(CtTcp.SYN_RECV, entry().tcpState());
        assertEquals(CtStatus.REPLY, fromServer(SYN | ACK, T0 + 2 * S), "a SYN-ACK does not reopen anything");
        assertEquals(CtTcp.SYN_RECV, entry().tcpState());
    }

    @Test
    void shouldPickUpMidStreamAndKeepSynLifetimeUntilReplyWhenFirstPacketIsNotSyn() {
        assertEquals(CtStatus.NEW, fromClient(PSH | ACK, T0));
        assertState(CtTcp.ESTABLISHED, CtEntry.FLAG_SEEN_NON_SYN, T0 + SYN_NS);
        assertEquals(CtStatus.REPLY, fromServer(ACK, T0 + S));
        assertState(CtTcp.ESTABLISHED, CtEntry.FLAG_SEEN_NON_SYN | CtEntry.FLAG_SEEN_REPLY, T0 + S + ESTABLISHED_NS);
    }

    @Test
    void shouldExpireUnansweredPickupAfterSynLifetimeWhenNoReplyComes() {
        fromClient(ACK, T0);
        assertEquals(1, sweeper.sweepRound(T0 + SYN_NS), "a spoofed ACK holds its slot for the SYN lifetime only");
    }

    @Test
    void shouldEnterSynRecvWhenFirstPacketIsSynAck() {
        assertEquals(CtStatus.NEW, fromServer(SYN | ACK, T0));
        assertState(CtTcp.SYN_RECV, 0, T0 + SYN_NS);
        assertEquals(CtStatus.ESTABLISHED, fromServer(ACK, T0 + S));
        assertEquals(CtTcp.ESTABLISHED, entry().tcpState());
    }

    @Test
    void shouldCloseImmediatelyWhenFirstPacketIsRst() {
        assertEquals(CtStatus.NEW, fromClient(RST, T0));
        assertState(CtTcp.CLOSED, CtEntry.FLAG_SEEN_NON_SYN, T0 + CLOSE_NS);
    }

    @Test
    void shouldTreatTransitionsAsPureFunctionWhenCalledDirectly() {
        int none = CtEntry.stateWord(CtTcp.NONE, 0);
        assertEquals(CtEntry.stateWord(CtTcp.SYN_SENT, 0), CtTcp.next(none, SYN, false));
        int established = CtEntry.stateWord(CtTcp.ESTABLISHED, CtEntry.FLAG_SEEN_REPLY | CtEntry.FLAG_SEEN_NON_SYN);
        assertEquals(established, CtTcp.next(established, ACK, true), "an unchanged word means no write");
        assertFalse(CtTcp.closed(established));
        assertTrue(CtTcp.closed(CtTcp.next(established, RST, false)));
        CtLifetimes lifetimes = CtLifetimes.defaults();
        assertEquals(ESTABLISHED_NS, CtTcp.lifetimeNs(established, lifetimes));
        assertEquals(SYN_NS, CtTcp.lifetimeNs(CtEntry.stateWord(CtTcp.ESTABLISHED, CtEntry.FLAG_SEEN_NON_SYN), lifetimes));
        assertEquals(CLOSE_NS, CtTcp.lifetimeNs(CtEntry.stateWord(CtTcp.CLOSING, 0), lifetimes));
    }
}
