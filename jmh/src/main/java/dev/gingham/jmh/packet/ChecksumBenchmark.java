package dev.gingham.jmh.packet;

import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.checksum.IncrementalChecksum;
import dev.gingham.packet.checksum.TransportChecksum;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * What a NAT rewrite of one address and one port costs in checksum work: a full recompute of
 * the IPv4 header and TCP checksums versus RFC 1624 incremental updates of both.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ChecksumBenchmark {
    private static final int L3 = 14;
    private static final int L4 = 34;

    @Param({"64", "1460"})
    public int payloadBytes;

    private Arena arena;
    private MemorySegment frame;
    private int l4Length;
    private int address = PacketBuilder.ip4("10.0.0.2");
    private int port = 80;

    @Setup(Level.Trial)
    public void setUp() {
        byte[] bytes = PacketBuilder.tcp4("10.0.0.1", 40000, "10.0.0.2", 80).flags(PacketBuilder.ACK).payload(payloadBytes).build();
        arena = Arena.ofConfined();
        frame = arena.allocate(bytes.length, 64);
        MemorySegment.copy(bytes, 0, frame, ValueLayout.JAVA_BYTE, 0, bytes.length);
        l4Length = bytes.length - L4;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /** DNAT by recomputing: rewrite, zero both checksum fields, sum header and segment again. */
    @Benchmark
    public int fullRecompute() {
        address ^= 1;
        port ^= 1;
        NetworkOrder.u32(frame, L3 + 16, address);
        NetworkOrder.u16(frame, L4 + 2, port);
        NetworkOrder.u16(frame, L3 + 10, 0);
        NetworkOrder.u16(frame, L3 + 10, TransportChecksum.ipv4Header(frame, L3, 20));
        NetworkOrder.u16(frame, L4 + 16, 0);
        int checksum = TransportChecksum.tcpUdp4(frame, L4, l4Length, NetworkOrder.u32(frame, L3 + 12), address, 6);
        NetworkOrder.u16(frame, L4 + 16, checksum);
        return checksum;
    }

    /** DNAT as Gingham does it: patch both checksums from the old and new field values. */
    @Benchmark
    public int incremental() {
        int oldAddress = NetworkOrder.u32(frame, L3 + 16);
        int oldPort = NetworkOrder.u16(frame, L4 + 2);
        int newAddress = oldAddress ^ 1;
        int newPort = oldPort ^ 1;
        NetworkOrder.u32(frame, L3 + 16, newAddress);
        NetworkOrder.u16(frame, L4 + 2, newPort);
        NetworkOrder.u16(frame, L3 + 10, IncrementalChecksum.replace32(NetworkOrder.u16(frame, L3 + 10), oldAddress, newAddress));
        int tcp = IncrementalChecksum.replace32(NetworkOrder.u16(frame, L4 + 16), oldAddress, newAddress);
        tcp = IncrementalChecksum.replace16(tcp, oldPort, newPort);
        NetworkOrder.u16(frame, L4 + 16, tcp);
        return tcp;
    }
}
