package dev.gingham.tap;

import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Netns;
import dev.gingham.packet.PacketBuilder;

import java.nio.file.Files;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What the kernel tests of this package share: the skip rule, unique names, bounded polling. */
final class TapTesting {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private TapTesting() {
    }

    /** Skips the test unless namespaces can be made here and /dev/net/tun exists. */
    static void assumeKernelTapAvailable() {
        Netns.assumeAvailable();
        assumeTrue(Files.exists(TapDevice.TUN_DEVICE), "TAP tests need " + TapDevice.TUN_DEVICE + " (the tun driver)");
    }

    /** Returns: an interface name unique to this JVM and call, within 15 bytes ("gt" pid counter). */
    static String uniqueName() {
        return "gt" + (ProcessHandle.current().pid() % 1_000_000) + "x" + COUNTER.incrementAndGet();
    }

    /**
     * Polls every queue of {@code device} with the (empty) vector until a frame accepted by
     * {@code wanted} (given its index, always 0) arrives or {@code timeoutMs} passes; frames not
     * wanted are released.
     *
     * @return 0, the wanted frame's index (the caller releases it), or -1 on timeout
     */
    static int receive(TapDevice device, FrameVector vector, long timeoutMs, IntPredicate wanted) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (System.nanoTime() < deadline) {
            for (int q = 0; q < device.queueCount(); q++) {
                if (device.queue(q).receive(vector, 1, 1) == 1) {
                    if (wanted.test(0)) {
                        return 0;
                    }
                    vector.releaseAll();
                }
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
        return -1;
    }

    /** Writes {@code frame} (checksums complete) through {@code queue} using the (empty) vector. Returns: the transmit code. */
    static int send(TapQueue queue, FrameVector vector, byte[] frame) {
        int i = PacketBuilder.load(vector, 0, frame);
        int result = queue.transmit(vector, i);
        vector.releaseAll();
        return result;
    }
}
