package dev.gingham.conntrack;

import dev.gingham.maps.MapErrors;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.gingham.packet.PacketBuilder.ACK;
import static dev.gingham.packet.PacketBuilder.PSH;
import static dev.gingham.packet.PacketBuilder.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CtTableTest {
    private static final long S = 1_000_000_000L;
    private static final long T0 = 5_000 * S;

    private final Frames frames = new Frames();
    private final CtResult result = new CtResult();
    private CtTable table = CtTable.create(CtConfig.defaults().withMaxEntries(8, 16), 11L);

    @AfterEach
    void tearDown() {
        table.close();
        frames.close();
    }

    private int lookup(byte[] frame) {
        return table.lookup(frames.vector, frames.only(frame), result);
    }

    private long create(byte[] frame, long nowNs) {
        int i = frames.only(frame);
        assertEquals(CtStatus.NEW, table.lookup(frames.vector, i, result));
        return table.create(frames.vector, i, nowNs, result);
    }

    private static byte[] tcp(int clientPort, int flags) {
        return PacketBuilder.tcp4("10.0.0.1", clientPort, "10.0.0.2", 80).flags(flags).build();
    }

    @Test
    void shouldCountPacketsAndBytesPerDirectionWhenFlowCarriesTraffic() {
        byte[] syn = tcp(40000, SYN);
        long entry = create(syn, T0);
        byte[] synAck = PacketBuilder.tcp4("10.0.0.2", 80, "10.0.0.1", 40000).flags(SYN | ACK).build();
        byte[] request = PacketBuilder.tcp4("10.0.0.1", 40000, "10.0.0.2", 80).flags(PSH | ACK).payload(100).build();
        byte[] response = PacketBuilder.tcp4("10.0.0.2", 80, "10.0.0.1", 40000).flags(PSH | ACK).payload(1000).build();
        assertEquals(54, syn.length);
        for (byte[] frame : new byte[][] {synAck, request, response, response}) {
            int i = frames.only(frame);
            assertTrue(table.lookup(frames.vector, i, result) > CtStatus.NEW);
            assertEquals(entry, result.entryOffset(), "every packet of the flow finds the same entry");
            table.account(frames.vector, i, T0 + S, result);
        }
        CtEntry e = result.entry();
        assertEquals(5, e.packets(), "both directions: SYN and request, SYN-ACK and two responses");
        assertEquals(54 + 154 + 54 + 1054 + 1054, e.bytes());
    }

    @Test
    void shouldGiveTheSameResultWhenAVectorIsPrefetchedBeforeItsLookups() {
        create(tcp(40000, SYN), T0);
        create(PacketBuilder.udp4("10.0.0.1", 5353, "10.96.0.10", 53).build(), T0);
        byte[][] batch = {
                tcp(40000, ACK),                                                                  // ESTABLISHED
                PacketBuilder.tcp4("10.0.0.2", 80, "10.0.0.1", 40000).flags(ACK).build(),       // REPLY
                PacketBuilder.udp4("10.0.0.1", 5353, "10.96.0.10", 53).build(),                 // ESTABLISHED, other table
                PacketBuilder.udp4("10.96.0.10", 53, "10.0.0.1", 5353).build(),                 // REPLY, other table
                tcp(40001, SYN),                                                                  // NEW
                PacketBuilder.arpRequest("02:00:00:00:00:01", "10.0.0.1", "10.0.0.2").build(),  // not IP
        };
        frames.vector.releaseAll();
        int[] index = new int[batch.length];
        for (int f = 0; f < batch.length; f++) {
            index[f] = frames.add(batch[f]);
        }
        long[] hashes = new long[FrameVector.MAX_FRAMES];
        table.prefetch(frames.vector, 0, frames.vector.count(), hashes, result);
        CtResult plain = new CtResult();
        int[] expected = {CtStatus.ESTABLISHED, CtStatus.REPLY, CtStatus.ESTABLISHED, CtStatus.REPLY, CtStatus.NEW,
                DropReason.UNKNOWN_L3.verdict()};
        for (int f = 0; f < batch.length; f++) {
            int i = index[f];
            int withHash = table.lookup(frames.vector, i, hashes[i], result);
            int without = table.lookup(frames.vector, i, plain);
            assertEquals(expected[f], withHash, "frame " + f);
            assertEquals(without, withHash, "frame " + f);
            assertEquals(plain.entryOffset(), result.entryOffset(), "frame " + f);
            assertEquals(plain.direction(), result.direction(), "frame " + f);
        }
        assertEquals(CtTable.NO_HASH, hashes[index[5]], "a non-IP frame has no tuple to hash");
    }

    @Test
    void shouldCreateTheEntryLookupsFindWhenCreatedWithThePrefetchHash() {
        frames.vector.releaseAll();
        int i = frames.add(tcp(40002, SYN));
        long[] hashes = new long[FrameVector.MAX_FRAMES];
        table.prefetch(frames.vector, 0, frames.vector.count(), hashes, result);
        assertEquals(CtStatus.NEW, table.lookup(frames.vector, i, hashes[i], result));
        long created = table.create(frames.vector, i, T0, hashes[i], result);
        assertTrue(created >= 0 && result.created(), "created at " + created);
        assertEquals(CtTcp.SYN_SENT, result.entry().tcpState());

        int ack = frames.only(tcp(40002, ACK));
        CtResult plain = new CtResult();
        assertEquals(CtStatus.ESTABLISHED, table.lookup(frames.vector, ack, plain));
        assertEquals(created, plain.entryOffset(), "a lookup without the hash finds the created entry");

        int again = frames.only(tcp(40002, SYN));
        table.prefetch(frames.vector, 0, frames.vector.count(), hashes, result);
        assertEquals(created, table.create(frames.vector, again, T0 + S, hashes[again], result));
        assertFalse(result.created(), "the second create finds the first one's entry");
        assertEquals(2, result.entry().packets(), "and accounts the packet on it");
        assertEquals(1, table.tcpCount());
    }

    @Test
    void shouldKeepFlagsAndNeverOvercountWhenTwoWorkersAccountBothDirectionsAtOnce() throws InterruptedException {
        create(tcp(40000, SYN), T0);
        long entry = result.entryOffset();
        int packets = 50_000;
        Thread[] workers = new Thread[2];
        for (int w = 0; w < 2; w++) {
            boolean reply = w == 1;
            workers[w] = new Thread(() -> {
                CtResult own = new CtResult();
                own.key().set(0, 0x0000_FFFF_0A00_0001L, 0, 0x0000_FFFF_0A00_0002L, 40000, 80, 6, 0);
                assertEquals(reply ? CtStatus.REPLY : CtStatus.ESTABLISHED,
                        table.lookup(own.scratch(), own.keyOffset(), reply ? CtResult.REPLY : CtResult.ORIGINAL, own));
                for (int p = 0; p < packets; p++) {
                    table.account(own, reply ? (SYN | ACK) : ACK, reply ? 60 : 100, T0 + p);
                }
            });
            workers[w].start();
        }
        for (Thread worker : workers) {
            worker.join();
        }
        CtEntry e = new CtEntry().wrap(table.mapFor(6, true).segment(), entry);
        // The counters are plain adds shared by both directions (see CtEntry): two workers adding
        // at the same instant may lose an increment, never invent one. State is exact.
        assertTrue(e.packets() <= 1 + 2L * packets && e.packets() > packets, "packets " + e.packets());
        assertTrue(e.bytes() <= 54 + 160L * packets && e.bytes() > 60L * packets, "bytes " + e.bytes());
        assertTrue(e.hasFlags(CtEntry.FLAG_SEEN_REPLY | CtEntry.FLAG_SEEN_NON_SYN), "neither side's flag was lost");
    }

    @Test
    void shouldTrackUdpWithNonTcpLifetimeAndSeenReplyWhenReplyArrives() {
        long lifetime = CtLifetimes.DEFAULT_NON_TCP_NS;
        create(PacketBuilder.udp4("10.0.0.1", 5353, "10.96.0.10", 53).payload(30).build(), T0);
        assertEquals(1, table.nonTcpCount());
        assertEquals(0, table.tcpCount());
        CtEntry e = result.entry();
        assertEquals(T0 + lifetime, e.expiresAtNs());
        assertEquals(CtTcp.NONE, e.tcpState());
        assertEquals(0, e.flags());
        assertEquals(CtStatus.REPLY, lookup(PacketBuilder.udp4("10.96.0.10", 53, "10.0.0.1", 5353).payload(80).build()));
        table.account(frames.vector, 0, T0 + 2 * S, result);
        assertEquals(CtEntry.FLAG_SEEN_REPLY, result.entry().flags());
        assertEquals(T0 + 2 * S + lifetime, result.entry().expiresAtNs());
        assertEquals(2, result.entry().packets());
        assertEquals(14 + 20 + 8 + 30 + 14 + 20 + 8 + 80, result.entry().bytes(), "the query and the answer");
    }

    @Test
    void shouldMatchEchoReplyToItsRequestWhenPinging() {
        create(PacketBuilder.icmp4Echo("10.0.0.1", "8.8.8.8", 99, 1).build(), T0);
        long entry = result.entryOffset();
        assertEquals(CtStatus.REPLY, lookup(PacketBuilder.icmp4Echo("8.8.8.8", "10.0.0.1", 99, 1).icmpEchoReply().build()));
        assertEquals(entry, result.entryOffset());
        assertEquals(CtStatus.ESTABLISHED, lookup(PacketBuilder.icmp4Echo("10.0.0.1", "8.8.8.8", 99, 2).build()));
        assertEquals(CtStatus.NEW, lookup(PacketBuilder.icmp4Echo("10.0.0.1", "8.8.8.8", 100, 1).build()), "another identifier is another flow");
    }

    @Test
    void shouldRefuseNonIpFramesWhenLookedUp() {
        assertEquals(DropReason.UNKNOWN_L3.verdict(),
                lookup(PacketBuilder.arpRequest("02:00:00:00:00:01", "10.0.0.1", "10.0.0.2").build()));
    }

    @Test
    void shouldNotEvictOrBlockTcpWhenUdpFloodFillsItsTable() {
        create(tcp(40000, SYN), T0);
        long established = result.entryOffset();
        int accepted = 0;
        int refused = 0;
        for (int port = 1; port <= 100; port++) {
            long r = create(PacketBuilder.udp4("198.51.100.1", port, "10.0.0.2", 53).build(), T0);
            if (r >= 0) {
                accepted++;
            } else {
                assertEquals(-DropReason.CT_CREATE_FAILED.code(), r);
                refused++;
            }
        }
        assertEquals(16, accepted);
        assertEquals(84, refused);
        assertEquals(16, table.nonTcpCount());
        assertEquals(CtStatus.ESTABLISHED, lookup(tcp(40000, ACK)), "the TCP flow survived the flood");
        assertEquals(established, result.entryOffset());
        assertTrue(create(tcp(40001, SYN), T0) >= 0, "new TCP flows are still created");
        assertEquals(2, table.tcpCount());
    }

    @Test
    void shouldFailOnlyTheNewFlowWhenTcpTableIsFull() {
        for (int port = 1; port <= 8; port++) {
            assertTrue(create(tcp(port, SYN), T0) >= 0);
        }
        assertEquals(-DropReason.CT_CREATE_FAILED.code(), create(tcp(9, SYN), T0));
        assertEquals(8, table.tcpCount());
        for (int port = 1; port <= 8; port++) {
            int i = frames.only(tcp(port, ACK));
            assertEquals(CtStatus.ESTABLISHED, table.lookup(frames.vector, i, result));
            table.account(frames.vector, i, T0 + S, result);
            assertEquals(2, result.entry().packets());
            assertEquals(108, result.entry().bytes());
        }
        assertTrue(create(PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).build(), T0) >= 0, "UDP is not affected");
    }

    @Test
    void shouldAccountOnTheExistingEntryWhenTwoWorkersCreateTheSameFlow() {
        int i = frames.only(tcp(40000, SYN));
        CtResult otherWorker = new CtResult();
        assertEquals(CtStatus.NEW, table.lookup(frames.vector, i, result));
        assertEquals(CtStatus.NEW, table.lookup(frames.vector, i, otherWorker));
        long first = table.create(frames.vector, i, T0, result);
        assertTrue(result.created());
        long second = table.create(frames.vector, i, T0 + S, otherWorker);
        assertFalse(otherWorker.created());
        assertEquals(first, second);
        assertEquals(2, result.entry().packets());
        assertEquals(1, table.tcpCount());
    }

    @Test
    void shouldFindServiceEntryOnlyByItsExplicitKeyWhenNatInsertsIt() {
        // The NAT module's path: a CT_SERVICE entry under the client -> VIP tuple, backend set before insertion.
        CtKey key = result.key();
        key.set(0, 0x0000_FFFF_0A00_0001L, 0, 0x0000_FFFF_0A60_0001L, 40000, 80, 6, CtKey.FLAG_SERVICE);
        assertEquals(CtStatus.NEW, table.lookup(result.scratch(), result.keyOffset(), CtResult.ORIGINAL, result));
        result.newEntry().init(T0, CtLifetimes.DEFAULT_TCP_SYN_NS).backendId(17).revNatIndex(3).addFlags(CtEntry.FLAG_SERVICE_DNAT);
        long offset = table.insert(result.scratch(), result.keyOffset(), result.scratch(), result.newEntryOffset(), result);
        assertTrue(offset >= 0);
        assertTrue(result.created());

        result.newEntry().backendId(99);
        assertEquals(offset, table.insert(result.scratch(), result.keyOffset(), result.scratch(), result.newEntryOffset(), result));
        assertFalse(result.created(), "a second insert finds the first and writes nothing");

        assertEquals(CtStatus.ESTABLISHED, table.lookup(result.scratch(), result.keyOffset(), CtResult.ORIGINAL, result));
        assertEquals(offset, result.entryOffset());
        assertEquals(17, result.entry().backendId());
        assertEquals(3, result.entry().revNatIndex());
        assertTrue(result.entry().hasFlags(CtEntry.FLAG_SERVICE_DNAT));

        assertEquals(CtStatus.NEW, lookup(PacketBuilder.tcp4("10.0.0.1", 40000, "10.96.0.1", 80).flags(SYN).build()),
                "a frame's lookup never matches a service entry");
    }

    @Test
    void shouldKeepEntriesWhenPinnedTableIsReopened(@TempDir Path dir) throws IOException {
        table.close();
        CtConfig config = CtConfig.defaults().withMaxEntries(32, 32);
        Files.createDirectories(dir.resolve("ct"));
        Files.write(dir.resolve("ct").resolve("ct_tcp"), new byte[4096]); // a pin of the layout before the family split
        table = CtTable.pinned(dir.resolve("ct"), config);
        assertFalse(Files.exists(dir.resolve("ct").resolve("ct_tcp")), "the old layout's pin is removed");
        create(tcp(40000, SYN), T0);
        create(PacketBuilder.udp6("fd00::1", 5000, "fd00::2", 53).build(), T0);
        for (String name : List.of(CtTable.TCP4_MAP_NAME, CtTable.NON_TCP4_MAP_NAME, CtTable.TCP6_MAP_NAME, CtTable.NON_TCP6_MAP_NAME)) {
            assertTrue(Files.exists(dir.resolve("ct").resolve(name)), name);
        }
        table.close();

        table = CtTable.pinned(dir.resolve("ct"), config);
        assertEquals(1, table.tcpCount());
        assertEquals(1, table.nonTcpCount());
        assertEquals(CtStatus.REPLY, lookup(PacketBuilder.tcp4("10.0.0.2", 80, "10.0.0.1", 40000).flags(SYN | ACK).build()));
        assertEquals(CtTcp.SYN_SENT, result.entry().tcpState());
        assertEquals(T0 + CtLifetimes.DEFAULT_TCP_SYN_NS, result.entry().expiresAtNs());
        assertEquals(CtStatus.REPLY, lookup(PacketBuilder.udp6("fd00::2", 53, "fd00::1", 5000).build()));
    }

    @Test
    void shouldKeepEachFamilyInItsOwnMapsAndGiveBackThe40ByteKeyWhenAMapIsWalked() {
        create(tcp(40000, SYN), T0);
        create(PacketBuilder.udp6("fd00::1", 5000, "fd00::2", 53).build(), T0);
        create(PacketBuilder.icmp4Echo("10.0.0.1", "8.8.8.8", 99, 1).build(), T0);
        assertEquals(CtKey.LENGTH4, table.mapFor(6, true).spec().keySize(), "IPv4: 8 + 16 + 40 = one 64-byte slot");
        assertEquals(CtKey.LENGTH, table.mapFor(6, false).spec().keySize());
        List<String> seen = new java.util.ArrayList<>();
        CtKey key = new CtKey().wrap(Arena.ofAuto().allocate(CtKey.LENGTH, 8), 0);
        for (dev.gingham.maps.HashMap map : table.maps()) {
            map.forEach((segment, keyOffset, valueOffset) -> seen.add(map.spec().name() + " "
                    + table.readKey(map, segment, keyOffset, key)));
        }
        assertEquals(List.of("ct4_tcp 6 10.0.0.1:40000 -> 10.0.0.2:80 flags 0", "ct4_any 1 10.0.0.1:99 -> 8.8.8.8:99 flags 0",
                "ct6_any 17 [fd00::1]:5000 -> [fd00::2]:53 flags 0"), seen);
    }

    @Test
    void shouldRejectInvalidConfigurationWhenSizesOrLifetimesAreNotPositive() {
        assertThrows(IllegalArgumentException.class, () -> new CtLifetimes(0, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new CtLifetimes(1, 1, -1, 1));
        assertThrows(IllegalArgumentException.class, () -> new CtConfig(0, 1, CtLifetimes.defaults()));
        assertThrows(IllegalArgumentException.class, () -> new CtConfig(1, 1, null));
        CtConfig defaults = CtConfig.defaults();
        assertEquals(524_288, defaults.tcpMaxEntries());
        assertEquals(262_144, defaults.nonTcpMaxEntries());
        assertEquals(60 * S, defaults.lifetimes().tcpSynNs());
        assertEquals(21_600 * S, defaults.lifetimes().tcpEstablishedNs());
        assertEquals(10 * S, defaults.lifetimes().tcpCloseNs());
        assertEquals(60 * S, defaults.lifetimes().nonTcpNs());
    }

    @Test
    void shouldReportMissingEntryWhenLookupIsNew() {
        assertEquals(CtStatus.NEW, lookup(tcp(1, SYN)));
        assertEquals(MapErrors.MISSING, result.entryOffset());
        assertEquals(table.mapFor(6, true), result.map());
        assertNotEquals(table.mapFor(17, true), result.map());
        assertNotEquals(table.mapFor(6, false), result.map());
        assertEquals(1, result.key().srcPort(), "the forward tuple is left for create");
    }

    @Test
    void shouldGiveTheFlowsTupleAsKeyWhenAnIpv4LookupHitsEitherWay() {
        create(tcp(40000, SYN), T0);
        CtResult found = new CtResult(); // its scratch never held this flow's key: only key() can put it there
        assertEquals(CtStatus.ESTABLISHED, table.lookup(frames.vector, frames.only(tcp(40000, ACK)), found));
        CtKey forward = found.key();
        assertEquals(0x0000_FFFF_0A00_0001L, forward.srcLo());
        assertEquals(0x0000_FFFF_0A00_0002L, forward.dstLo());
        assertEquals(0, forward.srcHi());
        assertEquals(0, forward.dstHi());
        assertEquals(40000, forward.srcPort());
        assertEquals(80, forward.dstPort());
        assertEquals(6, forward.protocol());
        assertEquals(0, forward.flags());
        assertEquals(storedKeyOf(found).toString(), forward.toString(), "the entry's own key");

        CtResult unasked = new CtResult();
        assertEquals(CtStatus.ESTABLISHED, table.lookup(frames.vector, frames.only(tcp(40000, ACK)), unasked));
        CtKey inItsScratch = new CtKey().wrap(unasked.scratch(), unasked.keyOffset());
        assertEquals(forward.toString(), inItsScratch.toString(), "scratch() writes the key too, for a delete by key");

        CtResult reply = new CtResult();
        int synAck = frames.only(PacketBuilder.tcp4("10.0.0.2", 80, "10.0.0.1", 40000).flags(SYN | ACK).build());
        assertEquals(CtStatus.REPLY, table.lookup(frames.vector, synAck, reply));
        CtKey original = reply.key();
        assertEquals(0x0000_FFFF_0A00_0001L, original.srcLo(), "a reply's key is the flow's original tuple");
        assertEquals(0x0000_FFFF_0A00_0002L, original.dstLo());
        assertEquals(40000, original.srcPort());
        assertEquals(80, original.dstPort());
        assertEquals(6, original.protocol());
        assertEquals(storedKeyOf(reply).toString(), original.toString());
        CtKey inScratch = new CtKey().wrap(reply.scratch(), reply.keyOffset());
        assertEquals(original.toString(), inScratch.toString(), "key() wrote it where the scratch keeps keys");
    }

    /** The 40-byte form of the key stored in the slot of the result's entry. */
    private CtKey storedKeyOf(CtResult found) {
        CtKey key = new CtKey().wrap(Arena.ofAuto().allocate(CtKey.LENGTH), 0);
        long keyInSlot = found.entryOffset() - CtKey.LENGTH4; // hash slot: | header | key | value |
        return table.readKey(found.map(), found.map().segment(), keyInSlot, key);
    }

    @Test
    void shouldKeepAFoundEntryForTheNextProgramAndFindTheSameOneAgain() {
        long entry = create(tcp(40000, SYN), T0);
        int i = frames.only(tcp(40000, ACK));
        assertEquals(CtStatus.ESTABLISHED, table.lookup(frames.vector, i, result));
        assertNotEquals(0, frames.vector.memoTag(i), "the result is kept for the next program");
        CtResult second = new CtResult();
        assertEquals(CtStatus.ESTABLISHED, table.lookup(frames.vector, i, second));
        assertEquals(entry, second.entryOffset());
        assertEquals(CtResult.ORIGINAL, second.direction());
        assertEquals(result.key().toString(), second.key().toString(), "the kept result carries the key a lookup builds");
    }

    @Test
    void shouldKeepARepliesDirectionAndItsReversedKey() {
        long entry = create(tcp(40000, SYN), T0);
        int i = frames.only(PacketBuilder.tcp4("10.0.0.2", 80, "10.0.0.1", 40000).flags(SYN | ACK).build());
        assertEquals(CtStatus.REPLY, table.lookup(frames.vector, i, result));
        CtResult second = new CtResult();
        assertEquals(CtStatus.REPLY, table.lookup(frames.vector, i, second));
        assertEquals(entry, second.entryOffset());
        assertEquals(CtResult.REPLY, second.direction());
        assertEquals(result.key().toString(), second.key().toString());
    }

    @Test
    void shouldLookUpAfreshWhenTheFramesTupleChanged() {
        create(tcp(40000, SYN), T0);
        int i = frames.only(tcp(40000, ACK));
        assertEquals(CtStatus.ESTABLISHED, table.lookup(frames.vector, i, result));
        frames.vector.dstPort(i, 8080); // a NAT program rewrote the tuple
        assertEquals(0, frames.vector.memoTag(i));
        assertEquals(CtStatus.NEW, table.lookup(frames.vector, i, result), "10.0.0.1:40000 -> 10.0.0.2:8080 has no entry");
    }

    @Test
    void shouldLookUpAfreshWhenTheKeptEntryWasDeletedMeanwhile() {
        create(tcp(40000, SYN), T0);
        int i = frames.only(tcp(40000, ACK));
        assertEquals(CtStatus.ESTABLISHED, table.lookup(frames.vector, i, result));
        assertEquals(MapErrors.OK, result.map().delete(result.scratch(), CtResult.STORED4_OFFSET), "swept by the control agent");
        assertEquals(CtStatus.NEW, table.lookup(frames.vector, i, result), "the kept offset is stale: its slot changed");
        assertEquals(0, frames.vector.memoTag(i));
    }

    @Test
    void shouldNotUseAnotherTablesKeptResult() {
        create(tcp(40000, SYN), T0);
        int i = frames.only(tcp(40000, ACK));
        assertEquals(CtStatus.ESTABLISHED, table.lookup(frames.vector, i, result));
        try (CtTable other = CtTable.create(CtConfig.defaults().withMaxEntries(8, 16), 11L)) {
            assertEquals(CtStatus.NEW, other.lookup(frames.vector, i, new CtResult()));
        }
    }

    @Test
    void shouldKeepACreatedEntrySoTheNextProgramFindsItEstablished() {
        int i = frames.only(tcp(40000, SYN));
        assertEquals(CtStatus.NEW, table.lookup(frames.vector, i, result));
        assertEquals(0, frames.vector.memoTag(i), "a miss is not kept");
        long entry = table.create(frames.vector, i, T0, result);
        CtResult next = new CtResult();
        assertEquals(CtStatus.ESTABLISHED, table.lookup(frames.vector, i, next));
        assertEquals(entry, next.entryOffset());
    }
}
