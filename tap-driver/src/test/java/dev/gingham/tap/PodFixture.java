package dev.gingham.tap;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Netns;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.header.Addresses;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A pod as the daemon will make one: a TAP created in the test's namespace, moved into a pod
 * namespace the test owns and configured there by {@link PodInterface}; the test plays Gingham
 * on the TAP's file descriptor. {@link #close()} stops the pod's processes, closes the device
 * and deletes the namespace.
 */
final class PodFixture implements AutoCloseable {
    static final String POD_MAC = "02:00:00:00:77:05";
    static final String GATEWAY_MAC = "02:00:00:00:77:01";
    static final String POD_IP = "10.77.1.5";
    static final String GATEWAY_IP = "10.77.1.1";
    static final String POD_IP6 = "fd00:77::5";
    static final String GATEWAY_IP6 = "fe80::1";
    /** Where the pod's traffic goes: routed to the TAP by the default route, answered by the test. */
    static final String PEER_IP = "10.77.2.9";

    final Netns netns = new Netns();
    final String namespace;
    final TapDevice tap;
    final BufferPool pool = BufferPool.allocate(64, BufferPool.TSO_BUFFER_SIZE);
    final FrameVector vector = new FrameVector(pool);
    final LinkInfo podLink;
    private final List<Process> processes = new ArrayList<>();

    /** Returns: what the pod's interface is configured with (eth0, the pod's MAC and addresses, MTU 1500). */
    PodInterface.Settings settings() {
        return new PodInterface.Settings(namespace, "eth0", Addresses.parseMac(POD_MAC), 1500, Cidr.parse(POD_IP + "/32"),
                Cidr.parseAddressOrPrefix(GATEWAY_IP), Cidr.parse(POD_IP6 + "/128"), Cidr.parseAddressOrPrefix(GATEWAY_IP6));
    }

    PodFixture(TapConfig config) {
        namespace = netns.create("pod");
        TapDevice opened = null;
        try {
            opened = TapDevice.create(config);
            podLink = PodInterface.moveAndConfigure(opened.name(), settings());
        } catch (RuntimeException e) {
            if (opened != null) {
                if (config.persistent()) {
                    opened.setPersistent(false); // not moved yet: it must not outlive the test
                }
                opened.close();
            }
            netns.close();
            pool.close();
            throw e;
        }
        tap = opened;
    }

    /** Lets the pod reach the gateway without ARP (for tests about other traffic). */
    void addGatewayNeighbour() {
        try (Rtnetlink netlink = Rtnetlink.openIn(namespace)) {
            netlink.addNeighbour(podLink.ifindex(), Cidr.parseAddressOrPrefix(GATEWAY_IP), Addresses.parseMac(GATEWAY_MAC));
        }
    }

    /** Starts {@code command} inside the pod's namespace; it is killed on {@link #close()}. */
    Process startInPod(String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        full.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
            p.getOutputStream().close();
            processes.add(p);
            return p;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + full + ": " + e.getMessage(), e);
        }
    }

    /** Waits at most {@code seconds} for {@code p}; returns its exit code (-1 on timeout) and prints its output into the message. */
    static Netns.Result finish(Process p, long seconds) {
        try {
            boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return new Netns.Result(done ? p.exitValue() : -1, out);
        } catch (IOException e) {
            return new Netns.Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Netns.Result(-1, "interrupted");
        }
    }

    /** Returns: the next frame from the pod with this EtherType (and IP protocol, or -1 for any), as bytes; null on timeout. */
    byte[] receiveFromPod(int etherType, int ipProtocol, long timeoutMs) {
        int i = TapTesting.receive(tap, vector, timeoutMs, j -> matches(PacketBuilder.bytesOf(vector, j), etherType, ipProtocol));
        if (i < 0) {
            return null;
        }
        byte[] bytes = PacketBuilder.bytesOf(vector, i);
        vector.releaseAll();
        return bytes;
    }

    static boolean matches(byte[] frame, int etherType, int ipProtocol) {
        int type = (frame[12] & 0xFF) << 8 | (frame[13] & 0xFF);
        return type == etherType && (ipProtocol < 0 || (frame.length > 23 && (frame[23] & 0xFF) == ipProtocol));
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        vector.releaseAll();
        tap.close();
        netns.close();
        pool.close();
    }
}
