package dev.gingham.dataplane.neighbour;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NeighbourTableTest {
    private static final long S = 1_000_000_000L;
    private static final int PEER = 0xC0A8_010B;
    private static final int OTHER = 0xC0A8_010C;
    private static final long PEER_MAC = 0x02_00_00_00_00_11L;

    /** A request: whom, and to which MAC (0 = broadcast). */
    private record Sent(int address, long mac, long atNs) {
    }

    private final List<Sent> sent = new ArrayList<>();
    private long now;
    private final NeighbourTable.Requester requester = (address, mac) -> sent.add(new Sent(address, mac, now));

    /** Ticks every 100 ms from the current time to {@code untilNs}. */
    private boolean runUntil(NeighbourTable table, long untilNs) {
        boolean changed = false;
        for (; now <= untilNs; now += S / 10) {
            changed |= table.tick(now, requester);
        }
        return changed;
    }

    @Test
    void shouldBroadcastThreeRequestsASecondApartThenEveryFiveSecondsWhenNobodyAnswers() {
        NeighbourTable table = new NeighbourTable(NeighbourTable.Timers.DEFAULTS);
        table.want(new int[] {PEER}, 0);
        runUntil(table, 12 * S);
        assertEquals(List.of(new Sent(PEER, 0, 0), new Sent(PEER, 0, S), new Sent(PEER, 0, 2 * S), new Sent(PEER, 0, 7 * S),
                new Sent(PEER, 0, 12 * S)), sent);
        assertEquals(0, table.mac(PEER));
    }

    @Test
    void shouldStopAskingAndGiveTheMacWhenTheNeighbourAnswers() {
        NeighbourTable table = new NeighbourTable(NeighbourTable.Timers.DEFAULTS);
        table.want(new int[] {PEER}, 0);
        runUntil(table, 0);
        assertTrue(table.learn(PEER, PEER_MAC, now), "a new MAC is a change");
        assertFalse(table.learn(PEER, PEER_MAC, now), "the same MAC confirmed is not");
        sent.clear();
        runUntil(table, 29 * S);
        assertEquals(List.of(), sent, "nothing asked while REACHABLE");
        assertEquals(PEER_MAC, table.mac(PEER));
        assertEquals(NeighbourTable.State.REACHABLE, table.entries().get(0).state());
    }

    @Test
    void shouldRefreshByUnicastBeforeExpiryAndWithdrawTheMacWhenTheRefreshIsNotAnswered() {
        NeighbourTable table = new NeighbourTable(NeighbourTable.Timers.DEFAULTS);
        table.want(new int[] {PEER}, 0);
        table.learn(PEER, PEER_MAC, 0);
        assertFalse(runUntil(table, 30 * S));
        assertEquals(new Sent(PEER, PEER_MAC, 30 * S), sent.get(0), "at 30 s: a unicast request to the MAC it had");
        assertEquals(PEER_MAC, table.mac(PEER), "the MAC is still used while it is refreshed");
        table.learn(PEER, PEER_MAC, now);
        sent.clear();
        long confirmed = now;
        assertFalse(runUntil(table, confirmed + 59 * S + S / 2));
        assertEquals(30, sent.size(), "one unicast request a second from 30 s after the confirmation");
        assertTrue(sent.stream().allMatch(r -> r.mac() == PEER_MAC));
        assertTrue(runUntil(table, confirmed + 60 * S + S / 2), "60 s without an answer: withdrawn");
        assertEquals(0, table.mac(PEER));
        assertEquals(0, sent.getLast().mac(), "asked for by broadcast again");
    }

    @Test
    void shouldIgnoreWhatWasSeenAboutAddressesItDoesNotResolve() {
        NeighbourTable table = new NeighbourTable(NeighbourTable.Timers.DEFAULTS);
        table.want(new int[] {PEER}, 0);
        assertFalse(table.learn(OTHER, PEER_MAC, 0));
        assertEquals(0, table.mac(OTHER));
        assertEquals(1, table.entries().size());
        table.want(new int[] {OTHER}, 0);
        assertEquals(List.of(OTHER), table.entries().stream().map(NeighbourTable.Entry::address).toList(), "unwanted entries go");
    }

    @Test
    void shouldRateLimitRequestsWhenManyNextHopsAreUnresolved() {
        NeighbourTable table = new NeighbourTable(new NeighbourTable.Timers(30 * S, 60 * S, S, 5 * S, 3, 20, 10));
        int[] many = new int[50];
        for (int k = 0; k < many.length; k++) {
            many[k] = 0x0A00_0001 + k;
        }
        table.want(many, 0);
        table.tick(0, requester);
        assertEquals(10, sent.size(), "the burst");
        table.tick(S / 2, requester);
        assertEquals(20, sent.size(), "then 20 a second");
    }

    @Test
    void shouldGoFailedAndCountAFailureWhenTheFastRequestsStayUnansweredForARetry() {
        NeighbourTable table = new NeighbourTable(NeighbourTable.Timers.DEFAULTS);
        table.want(new int[] {PEER}, 0);
        runUntil(table, 2 * S + 9 * S / 10);
        assertEquals(NeighbourTable.State.INCOMPLETE, table.entries().get(0).state(), "the third request is 0.9 s old");
        assertEquals(0, table.snapshot().resolutionFailures());

        runUntil(table, 3 * S);

        NeighbourSnapshot failed = table.snapshot();
        assertEquals(NeighbourTable.State.FAILED, failed.entries().get(0).state());
        assertEquals(1, failed.resolutionFailures());
        assertEquals(1, failed.count(NeighbourTable.State.FAILED));
        assertEquals(3, failed.requestsSent());
        assertEquals(NeighbourTable.NEVER_CONFIRMED, failed.entries().get(0).confirmedNs());
        runUntil(table, 20 * S);
        assertEquals(1, table.snapshot().resolutionFailures(), "a failed entry asked slowly fails only once");
        assertEquals(6, table.snapshot().requestsSent(), "three fast ones, then at 7, 12 and 17 s");

        assertTrue(table.learn(PEER, PEER_MAC, now));
        assertFalse(table.learn(OTHER, PEER_MAC, now));
        NeighbourSnapshot answered = table.snapshot();
        assertEquals(new NeighbourTable.Entry(PEER, PEER_MAC, NeighbourTable.State.REACHABLE, now, 0), answered.entries().get(0),
                "a late answer makes a failed entry reachable");
        assertEquals(2, answered.observations());
        assertEquals(1, answered.confirmations(), "what it saw about an address it does not resolve confirms nothing");
    }

    @Test
    void shouldReportEntriesByAddressAndMoveItsChangeCountOnlyWhenSomethingChanged() {
        NeighbourTable table = new NeighbourTable(NeighbourTable.Timers.DEFAULTS);
        table.want(new int[] {OTHER, PEER}, 0);
        table.learn(PEER, PEER_MAC, 0);
        table.learn(OTHER, PEER_MAC + 1, 0);
        long before = table.changes();

        runUntil(table, 29 * S);
        table.want(new int[] {PEER, OTHER}, now);

        assertEquals(before, table.changes(), "REACHABLE entries ticking and the same wanted set change nothing");
        assertEquals(List.of(PEER, OTHER), table.snapshot().entries().stream().map(NeighbourTable.Entry::address).toList(),
                "sorted by address, not by when they were wanted");
        runUntil(table, 30 * S);
        assertTrue(table.changes() > before, "going PROBE and asking is a change");
        assertEquals(2, table.snapshot().count(NeighbourTable.State.PROBE));
    }
}
