package dev.gingham.dataplane.nodebench;

import dev.gingham.dataplane.config.IdleStrategyConfig;
import dev.gingham.dataplane.daemon.NodeDaemon;
import dev.gingham.dataplane.demo.Namespaces;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.header.Addresses;
import dev.gingham.tap.NetworkNamespace;
import dev.gingham.tap.PodInterface;
import dev.gingham.tap.TapConfig;
import dev.gingham.tap.TapDevice;
import org.agrona.concurrent.AgentRunner;

/**
 * The packet-rate ceiling, measured in the same run as the daemon: two pods whose interfaces are
 * TAPs made exactly as the daemon makes a pod's (one queue, vnet header with checksum and TSO
 * offloads, moved into the pod's namespace and configured by {@link PodInterface}), joined by a
 * {@link TapForwarder} instead of the pipeline.
 *
 * <pre>
 *   PREFIX-r-snd 10.246.1.2 eth0 (TAP) --&gt; TapForwarder (this JVM) --&gt; eth0 (TAP) 10.246.2.2 PREFIX-r-rcv
 * </pre>
 */
final class RawTapPath implements AutoCloseable {
    static final String SENDER_IP = "10.246.1.2";
    static final String RECEIVER_IP = "10.246.2.2";
    static final String SENDER_MAC = "02:00:0a:f6:01:02";
    static final String RECEIVER_MAC = "02:00:0a:f6:02:02";
    static final String GATEWAY_MAC = "02:00:0a:f6:00:01";

    private final PodPair pods;
    private final TapDevice sender;
    private final TapDevice receiver;
    private final BufferPool pool;
    private final TapForwarder forwarder;
    private AgentRunner runner;

    private RawTapPath(PodPair pods, TapDevice sender, TapDevice receiver) {
        this.pods = pods;
        this.sender = sender;
        this.receiver = receiver;
        this.pool = BufferPool.allocate(NodeDaemon.BUFFERS_PER_WORKER, BufferPool.TSO_BUFFER_SIZE);
        this.forwarder = new TapForwarder(sender.queue(0), receiver.queue(0), pool, Addresses.parseMac(RECEIVER_MAC),
                Addresses.parseMac(GATEWAY_MAC), NodeDaemon.BURST_FRAMES);
    }

    /** Creates the namespaces and both TAPs (made in PREFIX-r-fwd, then moved into the pods). */
    static RawTapPath build(Namespaces namespaces, int mtuBytes) {
        String forwarderNs = namespaces.create("r-fwd");
        String senderNs = namespaces.create("r-snd");
        String receiverNs = namespaces.create("r-rcv");
        TapDevice sender = NetworkNamespace.call(forwarderNs, () -> pod("rtaps", senderNs, SENDER_IP, SENDER_MAC, "10.246.1.1", mtuBytes));
        TapDevice receiver;
        try {
            receiver = NetworkNamespace.call(forwarderNs, () -> pod("rtapr", receiverNs, RECEIVER_IP, RECEIVER_MAC, "10.246.2.1", mtuBytes));
        } catch (RuntimeException e) {
            sender.close();
            throw e;
        }
        return new RawTapPath(new PodPair("tap-ceiling", senderNs, receiverNs, SENDER_IP, RECEIVER_IP), sender, receiver);
    }

    private static TapDevice pod(String tapName, String netns, String ip, String mac, String gateway, int mtuBytes) {
        TapDevice tap = TapDevice.create(TapConfig.of(tapName).withVnetHeader(true));
        try {
            PodInterface.moveAndConfigure(tap.name(), new PodInterface.Settings(netns, "eth0", Addresses.parseMac(mac), mtuBytes,
                    Cidr.parse(ip + "/32"), Cidr.parse(gateway + "/32"), null, null));
            return tap;
        } catch (RuntimeException e) {
            tap.close();
            throw e;
        }
    }

    PodPair pods() {
        return pods;
    }

    /** Starts the forwarder on its own thread with the daemon's idle strategy. */
    void startForwarding(IdleStrategyConfig idle) {
        runner = new AgentRunner(idle.newIdleStrategy(forwarder), Throwable::printStackTrace, null, forwarder);
        AgentRunner.startOnThread(runner);
    }

    /** Stops the forwarder thread (bounded wait). */
    void stopForwarding() {
        if (runner != null) {
            runner.close(5_000, Thread::interrupt);
            runner = null;
        }
    }

    /** Returns: the forwarder's thread while it runs (null before it started). */
    Thread forwarderThread() {
        return runner == null ? null : runner.thread();
    }

    @Override
    public void close() {
        stopForwarding();
        sender.close();
        receiver.close();
        pool.close();
    }
}
