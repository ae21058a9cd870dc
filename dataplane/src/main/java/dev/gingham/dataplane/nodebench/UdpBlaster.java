package dev.gingham.dataplane.nodebench;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.header.Addresses;
import dev.gingham.packet.header.EthernetHeader;
import dev.gingham.packet.header.Ipv4Header;
import dev.gingham.packet.header.UdpHeader;
import dev.gingham.tap.NetworkNamespace;
import dev.gingham.tap.PacketSocket;
import dev.gingham.tap.TapQueue;

import java.lang.foreign.MemorySegment;
import java.time.Duration;

/**
 * The 64-byte UDP sender inside a pod: an AF_PACKET socket on the pod's {@code eth0} that writes the
 * same 60-byte frame (64 on a wire, with the FCS; 18 bytes of UDP payload) as fast as one thread
 * can, for a given time. It bypasses the pod's UDP stack on purpose: iperf3 {@code -u -l 18 -b 0}
 * reaches only about 170k datagrams/s on this machine's cores, below what the TAP path carries,
 * so it would measure the sender. Each write hands the frame to the pod's TAP transmit queue;
 * frames the queue has no room for are dropped by the kernel there (the pod's {@code tx_dropped}),
 * and the receiving pod's {@code rx_packets} counts what got through. Allocates nothing while sending.
 */
final class UdpBlaster implements AutoCloseable {
    /** Ethernet 14 + IPv4 20 + UDP 8 + 18 bytes of payload: 64 bytes on a wire with the FCS. */
    static final int FRAME_BYTES = 60;
    private static final int BURST = 32;
    private static final int PAYLOAD_BYTES = FRAME_BYTES - EthernetHeader.LENGTH - Ipv4Header.MIN_LENGTH - UdpHeader.LENGTH;

    private final PacketSocket socket;
    private final TapQueue queue;
    private final BufferPool pool;
    private final FrameVector frames;

    private UdpBlaster(PacketSocket socket, BufferPool pool, FrameVector frames) {
        this.socket = socket;
        this.queue = socket.queue(0);
        this.pool = pool;
        this.frames = frames;
    }

    /**
     * Opens the sender on {@code eth0} of namespace {@code netns}.
     *
     * @param srcMac the pod's own MAC (the daemon's anti-spoofing checks it)
     * @param dstMac the pods' gateway MAC
     */
    static UdpBlaster open(String netns, long srcMac, long dstMac, String srcIp, String dstIp, int dstPort) {
        PacketSocket socket = NetworkNamespace.call(netns, () -> PacketSocket.open("eth0", 1, 0));
        BufferPool pool = BufferPool.allocate(BURST, BufferPool.DEFAULT_BUFFER_SIZE);
        FrameVector frames = new FrameVector(pool);
        for (int i = 0; i < BURST; i++) {
            int buffer = pool.acquire();
            int index = frames.add(buffer, 0, FRAME_BYTES);
            write(frames.segment(), frames.start(index), srcMac, dstMac, Addresses.parseIpv4(srcIp), Addresses.parseIpv4(dstIp), dstPort, i);
        }
        return new UdpBlaster(socket, pool, frames);
    }

    /** Writes one frame: the IPv4 identification differs per frame, the UDP checksum is 0 (none, RFC 768). */
    private static void write(MemorySegment segment, long start, long srcMac, long dstMac, int srcIp, int dstIp, int dstPort,
                              int identification) {
        segment.asSlice(start, FRAME_BYTES).fill((byte) 0);
        EthernetHeader.macs(segment, start, dstMac, srcMac);
        NetworkOrder.u16(segment, start + EthernetHeader.ETHER_TYPE_OFFSET, EthernetHeader.ETHER_TYPE_IPV4);
        long ip = start + EthernetHeader.LENGTH;
        int udpLength = UdpHeader.LENGTH + PAYLOAD_BYTES;
        Ipv4Header.write(segment, ip, 0, Ipv4Header.MIN_LENGTH + udpLength, identification, Ipv4Header.FLAG_DF, 64,
                Ipv4Header.PROTOCOL_UDP, srcIp, dstIp);
        long udp = ip + Ipv4Header.MIN_LENGTH;
        NetworkOrder.u16(segment, udp + UdpHeader.SRC_PORT_OFFSET, BenchServices.UDP_SOURCE_PORT);
        NetworkOrder.u16(segment, udp + UdpHeader.DST_PORT_OFFSET, dstPort);
        NetworkOrder.u16(segment, udp + UdpHeader.LENGTH_OFFSET, udpLength);
    }

    /**
     * Sends for {@code duration} on the calling thread.
     *
     * @return frames the kernel accepted (the pod's TAP queue may still have dropped some)
     */
    long run(Duration duration) {
        long deadline = System.nanoTime() + duration.toNanos();
        long sent = 0;
        TapQueue q = queue;
        FrameVector v = frames;
        while (System.nanoTime() < deadline) {
            for (int i = 0; i < BURST; i++) {
                if (q.transmit(v, i) == TapQueue.SENT) {
                    sent++;
                }
            }
        }
        return sent;
    }

    @Override
    public void close() {
        socket.close();
        frames.releaseAll();
        pool.close();
    }
}
