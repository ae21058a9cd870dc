package dev.gingham.jmh.tap;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Netns;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.header.Addresses;
import dev.gingham.tap.PodInterface;
import dev.gingham.tap.Rtnetlink;
import dev.gingham.tap.TapConfig;
import dev.gingham.tap.TapDevice;
import dev.gingham.tap.TapQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

/**
 * The raw TAP ceiling in frames per second, for the daemon's "64-byte UDP per worker vs the raw
 * TAP read/write ceiling" comparison: one thread writes bursts of {@link #BURST} 60-byte UDP
 * frames (64 on a wire with the FCS) into one TAP queue and reads them back after the kernel of
 * the TAP's namespace forwarded them out of the same interface (ip_forward on, routed back via
 * the gateway). Each frame costs one {@code write(2)}, a kernel IPv4 forward, one
 * {@code read(2)}: the work a Gingham worker's I/O does for a frame, with no pipeline.
 *
 * <p>Needs root and /dev/net/tun; the setup fails with that message otherwise. It makes its own
 * namespace ({@code ip netns add}, as the tests do) and deletes it at the end. Frames the kernel
 * did not return within the spin limit are counted and printed at teardown (expected: 0).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TapForwardBenchmark {
    /** Frames written before reading them back: a worker's batch. */
    public static final int BURST = 32;
    private static final int FRAME_BYTES = 60;
    private static final long SPIN_LIMIT = 100_000;
    private static final String POD_MAC = "02:00:00:00:77:05";
    private static final String GATEWAY_MAC = "02:00:00:00:77:01";

    /** With the 12-byte virtio-net header on every frame (the daemon's setting) or without. */
    @Param({"true", "false"})
    public boolean vnetHeader;

    private Netns netns;
    private TapDevice tap;
    private TapQueue queue;
    private BufferPool pool;
    private FrameVector tx;
    private FrameVector rx;
    private long lostFrames;

    @Setup(Level.Trial)
    public void setUp() {
        if (!"root".equals(System.getProperty("user.name")) || !Files.exists(TapDevice.TUN_DEVICE)) {
            throw new IllegalStateException("TapForwardBenchmark needs root and " + TapDevice.TUN_DEVICE);
        }
        netns = new Netns();
        String ns = netns.create("bench");
        TapConfig config = TapConfig.of("gbench" + ProcessHandle.current().pid() % 100_000);
        tap = TapDevice.create(vnetHeader ? config : config.withVnetHeader(false));
        queue = tap.queue(0);
        PodInterface.Settings pod = new PodInterface.Settings(ns, "eth0", Addresses.parseMac(POD_MAC), 1500,
                Cidr.parse("10.77.1.5/32"), Cidr.parseAddressOrPrefix("10.77.1.1"), null, null);
        int ifindex = PodInterface.moveAndConfigure(tap.name(), pod).ifindex();
        try (Rtnetlink netlink = Rtnetlink.openIn(ns)) {
            netlink.addNeighbour(ifindex, Cidr.parseAddressOrPrefix("10.77.1.1"), Addresses.parseMac(GATEWAY_MAC));
        }
        Netns.must("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1",
                "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.eth0.send_redirects=0",
                "net.ipv6.conf.all.disable_ipv6=1");
        pool = BufferPool.allocate(2 * FrameVector.MAX_FRAMES, BufferPool.DEFAULT_BUFFER_SIZE);
        tx = new FrameVector(pool);
        rx = new FrameVector(pool);
        byte[] frame = PacketBuilder.udp4("10.77.2.9", 5000, "10.77.3.9", 5001).srcMac(GATEWAY_MAC).dstMac(POD_MAC)
                .payload(FRAME_BYTES - 42).build();
        for (int i = 0; i < BURST; i++) {
            PacketBuilder.load(tx, 0, frame);
        }
        if (forward() != BURST) {
            throw new IllegalStateException("the kernel did not forward a burst back (tx errors " + queue.txErrorCount()
                    + ", last errno " + queue.lastErrno() + ")");
        }
        lostFrames = 0;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        System.out.println("TapForwardBenchmark vnetHeader=" + vnetHeader + ": frames not returned " + lostFrames
                + ", tx errors " + queue.txErrorCount() + ", rx errors " + queue.rxErrorCount());
        tx.releaseAll();
        rx.releaseAll();
        tap.close();
        netns.close();
        pool.close();
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int forward() {
        for (int i = 0; i < BURST; i++) {
            queue.transmit(tx, i);
        }
        int received = 0;
        for (long spins = 0; received < BURST && spins < SPIN_LIMIT; spins++) {
            received += queue.receive(rx, 1, BURST - received);
            rx.releaseAll();
        }
        lostFrames += BURST - received;
        return received;
    }
}
