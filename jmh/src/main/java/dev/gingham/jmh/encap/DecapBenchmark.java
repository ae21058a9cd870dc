package dev.gingham.jmh.encap;

import dev.gingham.encap.LocalDelivery;
import dev.gingham.encap.TunnelDecap;
import dev.gingham.encap.TunnelEncap;
import dev.gingham.encap.TunnelMode;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * The receive side per mode over a full vector of 256 frames from a peer node: ns per frame.
 * {@link #decap}: the underlay's receive as the node pipeline runs it, {@link TunnelDecap#receive}
 * then {@link TunnelDecap#process}: the frame parsed, or for a tunnel packet its outer headers
 * checked and stripped, the inner frame parsed and the source identity looked up;
 * {@link #decapAndDeliver} adds the pod's MACs and TX verdict ({@link LocalDelivery}). The frames
 * on the wire are what {@link TunnelEncap} produced. Every invocation first puts the frames back
 * as received; {@link #baseline} does that and parses them as any received frame is parsed, so
 * decap - baseline is what a tunnel packet costs to receive beyond the parse every frame needs.
 * NATIVE has nothing to strip: its decap is the parse and the "is this a tunnel packet for me"
 * check.
 */
public class DecapBenchmark extends OverlayBenchmark {
    /** Bytes decapsulation may rewrite in front of the inner frame (IPIP writes an Ethernet header there). */
    private static final int RESTORED_BYTES = 64;

    @Param({"NATIVE", "VXLAN", "GENEVE", "IPIP"})
    public TunnelMode mode;

    private TunnelDecap decap;
    private LocalDelivery delivery;

    @Setup(Level.Trial)
    public void setUp() {
        overlay = BenchOverlay.receiver(mode);
        decap = new TunnelDecap(overlay.config, overlay.ipCache, overlay.peers);
        delivery = new LocalDelivery(overlay.endpoints, overlay.config.routerMac());
        frames = new ReceivedFrames(onTheWire(mode), 0, RESTORED_BYTES);
        receive();
        delivery.process(frames.vector);
        if (frames.vector.verdict(0) != Verdict.tx(BenchOverlay.POD_PORT)) {
            throw new IllegalStateException(mode + ": frames are not delivered: " + Verdict.toString(frames.vector.verdict(0)));
        }
    }

    /** Returns: the frame the sending node's encapsulation puts on the wire. */
    static byte[] onTheWire(TunnelMode mode) {
        try (BenchOverlay sender = BenchOverlay.sender(mode);
             BufferPool pool = BufferPool.allocate(1, BufferPool.DEFAULT_BUFFER_SIZE)) {
            FrameVector v = new FrameVector(pool);
            int i = PacketBuilder.load(v, BenchOverlay.POD_PORT, PacketBuilder.tcp4(BenchOverlay.LOCAL_POD, 40000,
                    BenchOverlay.REMOTE_POD, 80).flags(PacketBuilder.ACK).payload(64).build());
            new Parser().parse(v, i);
            new TunnelEncap(sender.config, sender.ipCache, sender.peers).process(v, 0);
            byte[] wire = PacketBuilder.bytesOf(v, i);
            v.releaseAll();
            return wire;
        }
    }

    @Benchmark
    @OperationsPerInvocation(FrameVector.MAX_FRAMES)
    public int decap() {
        return receive();
    }

    @Benchmark
    @OperationsPerInvocation(FrameVector.MAX_FRAMES)
    public int decapAndDeliver() {
        receive();
        return delivery.process(frames.vector);
    }

    private int receive() {
        frames.refill();
        return decap.receive(frames.vector) + decap.process(frames.vector, 0);
    }
}
