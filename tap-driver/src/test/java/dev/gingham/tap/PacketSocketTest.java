package dev.gingham.tap;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Netns;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The underlay port on a real veth pair inside a namespace this test creates: frames written on
 * one end arrive byte for byte on the other, the socket does not read back what it sent, and a
 * missing interface is a clear error.
 */
@Timeout(30)
class PacketSocketTest {
    private final Netns netns = new Netns();
    private String ns;
    private BufferPool pool;
    private FrameVector vector;

    @BeforeEach
    void setUp() {
        Netns.assumeAvailable();
        ns = netns.create("psock");
        Netns.must("ip", "-n", ns, "link", "add", "ula", "type", "veth", "peer", "name", "ulb");
        Netns.must("ip", "-n", ns, "link", "set", "ula", "up");
        Netns.must("ip", "-n", ns, "link", "set", "ulb", "up");
        pool = BufferPool.allocate(64, BufferPool.DEFAULT_BUFFER_SIZE);
        vector = new FrameVector(pool);
    }

    @AfterEach
    void tearDown() {
        netns.close();
        if (pool != null) {
            pool.close();
        }
    }

    @Test
    void shouldCarryAFrameByteForByteFromOneEndToTheOtherWhenBothAreSockets() {
        byte[] frame = PacketBuilder.udp4("192.168.7.1", 40000, "192.168.7.2", 8472).payload(100)
                .srcMac("02:00:00:00:07:01").dstMac("02:00:00:00:07:02").build();
        try (PacketSocket a = open("ula", 1); PacketSocket b = open("ulb", 1)) {
            int i = PacketBuilder.load(vector, 0, frame);
            assertEquals(TapQueue.SENT, a.queue(0).transmit(vector, i));
            vector.releaseAll();

            int got = receive(b.queue(0));
            assertTrue(got >= 0, "the frame must arrive on the other end");
            byte[] received = new byte[vector.length(got)];
            vector.segment().asSlice(vector.start(got), received.length).asByteBuffer().get(received);
            assertArrayEquals(frame, received);
            vector.releaseAll();

            assertEquals(-1, receive(a.queue(0)), "PACKET_IGNORE_OUTGOING: the sender must not read its own frame back");
        }
    }

    @Test
    void shouldSpreadQueuesOverOneFanoutGroupWhenThereAreSeveralWorkers() {
        try (PacketSocket sockets = open("ula", 2)) {
            assertEquals(2, sockets.queueCount());
            assertTrue(sockets.queue(0).fd() >= 0 && sockets.queue(1).fd() >= 0);
            assertEquals(VnetHeader.PACKET_SOCKET_LENGTH, sockets.queue(1).headerBytes());
        }
    }

    @Test
    void shouldNameTheInterfaceWhenItDoesNotExist() {
        NetDeviceException e = assertThrows(NetDeviceException.class, () -> open("nosuch0", 1));
        assertEquals(NetDeviceException.Reason.NO_SUCH_DEVICE, e.reason());
        assertTrue(e.getMessage().contains("'nosuch0'"), e.getMessage());
    }

    private PacketSocket open(String device, int queues) {
        return NetworkNamespace.call(ns, () -> PacketSocket.open(device, queues, (int) ProcessHandle.current().pid()));
    }

    /** Returns: the index of the first frame to arrive within a second, or -1. */
    private int receive(TapQueue queue) {
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (queue.receive(vector, 1, 1) == 1) {
                int i = vector.count() - 1;
                // the kernel may send IPv6 router solicitations of its own on a fresh veth: skip them
                if (vector.segment().get(ValueLayout.JAVA_SHORT_UNALIGNED, vector.start(i) + 12) == (short) 0xDD86) {
                    vector.releaseAll();
                    continue;
                }
                return i;
            }
            Thread.onSpinWait();
        }
        return -1;
    }
}
