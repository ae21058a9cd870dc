package dev.gingham.dataplane.agent;

import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/** A port backed by Java queues: tests put frames in and read what the worker transmitted. */
final class MemoryPort implements PortIo {
    private final int port;
    final ArrayDeque<byte[]> incoming = new ArrayDeque<>();
    final List<byte[]> transmitted = new ArrayList<>();
    boolean full;

    MemoryPort(int port) {
        this.port = port;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public int receive(FrameVector vector, int maxFrames) {
        int read = 0;
        while (read < maxFrames && !incoming.isEmpty() && vector.pool().available() > 0 && !vector.isFull()) {
            PacketBuilder.load(vector, port, incoming.poll());
            read++;
        }
        return read;
    }

    @Override
    public boolean transmit(FrameVector vector, int i) {
        if (full) {
            return false;
        }
        transmitted.add(PacketBuilder.bytesOf(vector, i));
        return true;
    }
}
