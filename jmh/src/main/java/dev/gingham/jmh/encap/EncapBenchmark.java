package dev.gingham.jmh.encap;

import dev.gingham.encap.TunnelEncap;
import dev.gingham.encap.TunnelMode;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Encapsulation per mode over a full vector of 256 frames (pod to a pod on another node, TCP
 * ACK with 64 bytes of payload): ns per frame. Every invocation first puts the frames back as
 * received (vector refilled, the 14 bytes encapsulation rewrites restored) and parses them;
 * {@link #baseline} does exactly that and nothing else, so encap cost = encap - baseline, and
 * native mode (MAC rewrite only) is the in-run reference for the tunnel modes.
 */
public class EncapBenchmark extends OverlayBenchmark {
    @Param({"NATIVE", "VXLAN", "GENEVE", "IPIP"})
    public TunnelMode mode;

    private TunnelEncap encap;

    @Setup(Level.Trial)
    public void setUp() {
        overlay = BenchOverlay.sender(mode);
        encap = new TunnelEncap(overlay.config, overlay.ipCache, overlay.peers);
        byte[] frame = PacketBuilder.tcp4(BenchOverlay.LOCAL_POD, 40000, BenchOverlay.REMOTE_POD, 80)
                .flags(PacketBuilder.ACK).payload(64).build();
        frames = new ReceivedFrames(frame, BenchOverlay.POD_PORT, 14); // encapsulation rewrites the inner MACs (IPIP: the whole header)
    }

    @Benchmark
    @OperationsPerInvocation(FrameVector.MAX_FRAMES)
    public int encap() {
        frames.receive();
        return encap.process(frames.vector, 0);
    }
}
