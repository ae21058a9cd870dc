package dev.gingham.jmh.kubeproxy;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;

/** A vector of one parsed TCP SYN whose tuple each test sets, for asking a model about one packet. */
final class ModelFixture implements AutoCloseable {
    final BufferPool pool = BufferPool.allocate(4, BufferPool.DEFAULT_BUFFER_SIZE);
    final FrameVector vector = ServiceTraffic.parsedSyns(pool, 1);

    /** Returns: the model's answer for a packet from {@code src}:{@code srcPort} to {@code dst}:{@code dstPort}. */
    long ask(ServiceDataplane model, int src, int srcPort, int dst, int dstPort) {
        vector.src4(0, src);
        vector.srcPort(0, srcPort);
        vector.dst4(0, dst);
        vector.dstPort(0, dstPort);
        return model.select(vector, 0);
    }

    /** Returns: the model's answer for a pod's connection to service s. */
    long askService(ServiceDataplane model, int s, int client) {
        return ask(model, ServiceCatalog.client(client), 40_000 + (client & 0x3FFF), ServiceCatalog.vip(s), ServiceCatalog.SERVICE_PORT);
    }

    @Override
    public void close() {
        vector.releaseAll();
        pool.close();
    }
}
