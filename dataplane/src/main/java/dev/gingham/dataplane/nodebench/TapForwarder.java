package dev.gingham.dataplane.nodebench;

import dev.gingham.dataplane.agent.FrameWaiter;
import dev.gingham.dataplane.agent.PortIo;
import dev.gingham.dataplane.agent.PortWaiter;
import dev.gingham.dataplane.agent.TapPort;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.header.EthernetHeader;
import dev.gingham.tap.TapQueue;
import org.agrona.concurrent.Agent;

/**
 * The raw TAP ceiling: an agent that reads bursts from one TAP queue and writes every frame to
 * another, with nothing in between but the Ethernet addresses (the receiving pod's kernel drops
 * frames not addressed to its MAC). Same burst size, same buffers (TSO-sized, vnet header kept) and
 * same idle strategy as a daemon worker, so the difference to the daemon's packet rate is the
 * pipeline's cost. Frames are counted where they arrive (the receiving pod's interface), as for
 * every path. Single-threaded; allocates nothing per frame.
 */
final class TapForwarder implements Agent, FrameWaiter {
    private final TapQueue in;
    private final TapQueue out;
    /** The input queue as a port table of one, for {@link #waiter}. */
    private final PortIo[] input;
    private final FrameVector vector;
    private final long dstMac;
    private final long srcMac;
    private final int burstFrames;
    private final PortWaiter waiter = new PortWaiter();

    /**
     * @param dstMac the receiving pod's MAC
     * @param srcMac the MAC frames leave with (the pods' gateway, as the daemon writes it)
     */
    TapForwarder(TapQueue in, TapQueue out, BufferPool pool, long dstMac, long srcMac, int burstFrames) {
        this.in = in;
        this.out = out;
        this.input = new PortIo[] {new TapPort(0, in)};
        this.vector = new FrameVector(pool);
        this.dstMac = dstMac;
        this.srcMac = srcMac;
        this.burstFrames = burstFrames;
    }

    @Override
    public int doWork() {
        FrameVector v = vector;
        int received = in.receive(v, 0, burstFrames);
        if (received == 0) {
            return 0;
        }
        for (int i = 0; i < received; i++) {
            EthernetHeader.macs(v.segment(), v.start(i), dstMac, srcMac);
            out.transmit(v, i); // a frame the receiving TAP refuses is lost, as the worker loses it (its TX error)
        }
        v.releaseAll();
        return received;
    }

    @Override
    public String roleName() {
        return "gingham-bench-tap-forwarder";
    }

    /** Sleeps on the input queue as a worker sleeps on its ports, so both idle alike ({@code adaptive}). */
    @Override
    public int awaitFrames(int timeoutMs) {
        return waiter.await(input, timeoutMs);
    }

    @Override
    public void onClose() {
        waiter.close();
    }
}
