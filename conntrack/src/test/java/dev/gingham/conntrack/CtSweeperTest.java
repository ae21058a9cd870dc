package dev.gingham.conntrack;

import dev.gingham.maps.HashMap;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

import static dev.gingham.packet.PacketBuilder.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CtSweeperTest {
    private static final long S = 1_000_000_000L;
    private static final long T0 = 10_000 * S;

    private final Frames frames = new Frames();
    private final CtTable table = CtTable.create(CtConfig.defaults().withMaxEntries(16, 16), 5L);
    private final CtResult result = new CtResult();
    private final Recorder recorder = new Recorder();

    /** Records each expired key and checks the entry is intact and still in its map when told. */
    private final class Recorder implements CtExpiryListener {
        final List<String> keys = new ArrayList<>();
        final CtResult found = new CtResult();
        long nowNs;

        @Override
        public void expired(CtKey key, CtEntry entry) {
            assertTrue(entry.expired(nowNs), "only expired entries are reported");
            assertEquals(CtStatus.ESTABLISHED, table.lookup(key.segment(), key.offset(), CtResult.ORIGINAL, found),
                    "reported before deletion, under the 40-byte key whatever the map");
            assertEquals(entry.offset(), found.entryOffset());
            keys.add(key.toString());
        }
    }

    @AfterEach
    void tearDown() {
        table.close();
        frames.close();
    }

    private void create(byte[] frame, long nowNs) {
        int i = frames.only(frame);
        assertEquals(CtStatus.NEW, table.lookup(frames.vector, i, result));
        assertTrue(table.create(frames.vector, i, nowNs, result) >= 0);
    }

    /** 5 TCP + 8 UDP entries expiring at T0+60s, 5 TCP at T0+90s, 4 UDP at T0+160s. */
    private void populate() {
        for (int p = 1; p <= 5; p++) {
            create(PacketBuilder.tcp4("10.0.0.1", p, "10.0.0.2", 80).flags(SYN).build(), T0);
            create(PacketBuilder.tcp4("10.0.0.1", 100 + p, "10.0.0.2", 80).flags(SYN).build(), T0 + 30 * S);
        }
        for (int p = 1; p <= 8; p++) {
            create(PacketBuilder.udp4("10.0.0.1", p, "10.0.0.2", 53).build(), T0);
        }
        for (int p = 1; p <= 4; p++) {
            create(PacketBuilder.udp6("fd00::1", p, "fd00::2", 53).build(), T0 + 100 * S);
        }
    }

    private int expiredIn(int fromSlot, int slots, long nowNs) {
        int[] count = {0};
        CtEntry entry = new CtEntry();
        table.mapFor(6, true).scan(fromSlot, slots, (segment, key, value) -> count[0] += entry.wrap(segment, value).expired(nowNs) ? 1 : 0);
        return count[0];
    }

    @Test
    void shouldDeleteOnlyExpiredEntriesAndReportEachOnceWhenRoundsAreBudgeted() {
        populate();
        assertEquals(10, table.tcpCount());
        assertEquals(12, table.nonTcpCount());
        CtSweeper sweeper = new CtSweeper(table, recorder, 8);
        for (HashMap map : table.maps()) {
            assertEquals(32, map.slots(), map.spec().name());
        }
        assertEquals(16, sweeper.callsPerRound(), "four maps (two per family) of 32 slots");

        long now = T0 + 60 * S;
        recorder.nowNs = now;
        int expectedFirstCall = expiredIn(0, 8, now);
        assertEquals(expectedFirstCall, sweeper.sweep(now), "one call sweeps the first 8 slots only");
        int deleted = expectedFirstCall;
        for (int call = 1; call < 16; call++) {
            assertEquals(0, sweeper.roundsCompleted());
            deleted += sweeper.sweep(now);
        }
        assertEquals(1, sweeper.roundsCompleted(), "16 calls of 8 slots cover the four maps once");
        assertEquals(13, deleted);
        assertEquals(13, recorder.keys.size());
        assertEquals(13, new HashSet<>(recorder.keys).size(), "each entry reported exactly once");
        assertEquals(5, table.tcpCount());
        assertEquals(4, table.nonTcpCount());

        assertEquals(0, sweeper.sweepRound(now), "nothing else has expired");
        assertEquals(13, recorder.keys.size());

        recorder.nowNs = T0 + 90 * S;
        assertEquals(5, sweeper.sweepRound(T0 + 90 * S));
        assertEquals(0, table.tcpCount());
        recorder.nowNs = T0 + 160 * S;
        assertEquals(4, sweeper.sweepRound(T0 + 160 * S));
        assertEquals(0, table.nonTcpCount());
        assertEquals(22, recorder.keys.size());
        assertEquals(22, new HashSet<>(recorder.keys).size());
        assertEquals(22, sweeper.deletedTotal());
    }

    @Test
    void shouldStopAtTheEndOfARoundWhenBudgetExceedsTheTables() {
        populate();
        CtSweeper sweeper = new CtSweeper(table, recorder, 1_000);
        assertEquals(1, sweeper.callsPerRound());
        recorder.nowNs = T0 + 200 * S;
        assertEquals(22, sweeper.sweep(T0 + 200 * S));
        assertEquals(1, sweeper.roundsCompleted());
        assertEquals(0, sweeper.sweep(T0 + 200 * S));
        assertEquals(2, sweeper.roundsCompleted());
    }

    @Test
    void shouldPaceSweepsToOneRoundPerPeriodHoweverOftenTheAgentWakes() {
        populate();
        CtSweeper sweeper = new CtSweeper(table, recorder, 1_000, S);
        long now = T0 + 200 * S;
        recorder.nowNs = now;
        assertEquals(0, sweeper.sweepDue(now), "the first call starts the clock");
        for (int ms = 1; ms < 1000; ms++) {
            assertEquals(0, sweeper.sweepDue(now + ms * 1_000_000L), "128 slots: nothing until a whole round is due, at " + ms + " ms");
        }
        assertEquals(0, sweeper.roundsCompleted());
        assertEquals(22, sweeper.sweepDue(now + S), "one second: the round is due");
        assertEquals(1, sweeper.roundsCompleted());
        for (int call = 0; call < 1000; call++) {
            assertEquals(0, sweeper.sweepDue(now + S));
        }
        assertEquals(1, sweeper.roundsCompleted(), "no time passed, no slot examined");
    }

    @Test
    void shouldSpreadADueRoundOverCallsOfAtMostTheBudget() {
        populate();
        CtSweeper sweeper = new CtSweeper(table, recorder, 8, S);
        long now = T0 + 200 * S;
        recorder.nowNs = now;
        sweeper.sweepDue(now);
        int expectedFirstCall = expiredIn(0, 8, now);
        int deleted = sweeper.sweepDue(now + 5 * S); // five rounds' time is due, capped at one round
        assertEquals(expectedFirstCall, deleted, "the first 8 slots only");
        for (int call = 1; call < 16; call++) {
            deleted += sweeper.sweepDue(now + 5 * S);
        }
        assertEquals(1, sweeper.roundsCompleted());
        assertEquals(22, deleted);
        assertEquals(0, sweeper.sweepDue(now + 5 * S), "the due slots were used up");
        assertEquals(1, sweeper.roundsCompleted());
    }

    @Test
    void shouldReviveEntryWhenTrafficArrivesBeforeTheSweeper() {
        create(PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 53).build(), T0);
        int i = frames.only(PacketBuilder.udp4("10.0.0.2", 53, "10.0.0.1", 1).build());
        assertEquals(CtStatus.REPLY, table.lookup(frames.vector, i, result), "past its expiry but not swept: still found");
        table.account(frames.vector, i, T0 + 70 * S, result);
        CtSweeper sweeper = new CtSweeper(table, recorder, 64);
        recorder.nowNs = T0 + 70 * S;
        assertEquals(0, sweeper.sweepRound(T0 + 70 * S));
        assertEquals(1, table.nonTcpCount());
    }

    @Test
    void shouldRejectBudgetWhenNotPositive() {
        assertThrows(IllegalArgumentException.class, () -> new CtSweeper(table, CtExpiryListener.NONE, 0));
        assertThrows(IllegalArgumentException.class, () -> new CtSweeper(table, CtExpiryListener.NONE, 8, 0));
    }
}
