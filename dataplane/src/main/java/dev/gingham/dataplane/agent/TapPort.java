package dev.gingham.dataplane.agent;

import dev.gingham.packet.FrameVector;
import dev.gingham.tap.TapQueue;

/**
 * A port backed by one queue of a TAP device (a pod's, or the host's). Frames are read straight
 * into the worker's pool buffers with their vnet header in the headroom, and written from there;
 * the driver's own counters say why a read or write failed.
 */
public final class TapPort implements PortIo {
    private final int port;
    private final TapQueue queue;

    public TapPort(int port, TapQueue queue) {
        this.port = port;
        this.queue = queue;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public int receive(FrameVector vector, int maxFrames) {
        return queue.receive(vector, port, maxFrames);
    }

    @Override
    public boolean transmit(FrameVector vector, int i) {
        return queue.transmit(vector, i) == TapQueue.SENT;
    }

    public TapQueue queue() {
        return queue;
    }
}
