package dev.gingham.tap;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Netns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The underlay's kernel block on a real veth pair between two namespaces this test creates: with
 * the block, the blocked end's kernel answers nothing (not even ARP for its own address) while a
 * packet socket on that end still reads the frames; closed, the kernel answers again.
 */
@Timeout(30)
class KernelIngressBlockTest {
    private static final String BLOCKED_IP = "10.9.0.1";
    private final Netns netns = new Netns();
    private String blocked;
    private String peer;
    private BufferPool pool;
    private FrameVector vector;

    @BeforeEach
    void setUp() {
        Netns.assumeAvailable();
        blocked = netns.create("kblk");
        peer = netns.create("kpeer");
        Netns.must("ip", "-n", blocked, "link", "add", "ul0", "type", "veth", "peer", "name", "eth0", "netns", peer);
        Netns.must("ip", "-n", blocked, "addr", "add", BLOCKED_IP + "/24", "dev", "ul0");
        Netns.must("ip", "-n", peer, "addr", "add", "10.9.0.2/24", "dev", "eth0");
        Netns.must("ip", "-n", blocked, "link", "set", "ul0", "up");
        Netns.must("ip", "-n", peer, "link", "set", "eth0", "up");
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
    void shouldHideReceivedFramesFromTheKernelButNotFromPacketSocketsUntilClosed() {
        assertTrue(ping(), "the kernel answers before the block");
        int ifindex = Netns.ifindex(blocked, "ul0");
        Netns.must("ip", "-n", peer, "neigh", "flush", "dev", "eth0");

        try (PacketSocket socket = NetworkNamespace.call(blocked, () -> PacketSocket.open("ul0", 1, 1));
             KernelIngressBlock block = NetworkNamespace.call(blocked, () -> KernelIngressBlock.attach(ifindex, "ul0"))) {
            assertFalse(ping(), "the blocked kernel answers neither the ARP request nor the ping");
            assertTrue(sawArpRequestFor(socket.queue(0)), "the packet socket still read the peer's ARP requests");
            assertTrue(Netns.must("tc", "-n", blocked, "filter", "show", "dev", "ul0", "ingress").contains(KernelIngressBlock.PROGRAM_NAME),
                    "tc shows the classifier by name");
        }

        assertTrue(ping(), "closed: the interface is the kernel's again");
        assertFalse(Netns.must("tc", "-n", blocked, "filter", "show", "dev", "ul0", "ingress").contains(KernelIngressBlock.PROGRAM_NAME),
                "the classifier is gone");
    }

    @Test
    void shouldReplaceTheClassifierAnEarlierRunLeftBehind() {
        int ifindex = Netns.ifindex(blocked, "ul0");
        KernelIngressBlock first = NetworkNamespace.call(blocked, () -> KernelIngressBlock.attach(ifindex, "ul0"));
        try (KernelIngressBlock second = NetworkNamespace.call(blocked, () -> KernelIngressBlock.attach(ifindex, "ul0"))) {
            String filters = Netns.must("tc", "-n", blocked, "filter", "show", "dev", "ul0", "ingress");
            assertEquals(1, filters.lines().filter(l -> l.contains("handle 0x6768")).count(), "one classifier, not two: " + filters);
        } finally {
            first.close(); // its classifier is the one the second replaced and removed: nothing left to delete
        }
    }

    private boolean ping() {
        // three tries, 2 s each: one lost answer on a loaded machine is not "the kernel is blocked"
        String out = Netns.run("ip", "netns", "exec", peer, "ping", "-c", "3", "-i", "0.3", "-W", "2", BLOCKED_IP).output();
        return out.contains(" received") && !out.contains(" 0 received");
    }

    /** Returns: whether an ARP request for the blocked address arrives within two seconds. */
    private boolean sawArpRequestFor(TapQueue queue) {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (queue.receive(vector, 1, 1) == 1) {
                int i = vector.count() - 1;
                long at = vector.start(i);
                boolean arp = vector.segment().get(ValueLayout.JAVA_SHORT_UNALIGNED, at + 12) == (short) 0x0608;
                boolean forBlocked = arp && vector.segment().get(ValueLayout.JAVA_INT_UNALIGNED, at + 38) == 0x0100_090A; // 10.9.0.1
                vector.releaseAll();
                if (forBlocked) {
                    return true;
                }
            }
            Thread.onSpinWait();
        }
        return false;
    }
}
