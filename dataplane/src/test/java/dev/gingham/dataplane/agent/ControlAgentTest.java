package dev.gingham.dataplane.agent;

import dev.gingham.dataplane.cluster.ManifestSet;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.node.ConfiguredNode;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ControlAgentTest {
    private static final long HOUR_NS = TimeUnit.HOURS.toNanos(1);

    /**
     * The control thread parks when idle; a submitted task must not wait for the park to end.
     * Every park here lasts an hour, so only the unpark in submit can run the task within the bound.
     */
    @Test
    void shouldRunSubmittedTaskAtOnceWhenIdleAgentIsParked() throws Exception {
        NodeConfig config = NodeConfig.parse("""
                nodeName: node-1
                nodeAddresses: [192.168.1.10]
                podCIDRs: [10.244.1.0/24]
                clusterCIDRs: [10.244.0.0/16]
                serviceCIDRs: [10.96.0.0/12]
                underlay: {interface: eth0}
                """, "test node.yaml");
        try (ConfiguredNode node = ConfiguredNode.create(config, ManifestSet.of("empty", Map.of()), 0, 0, false, 1L, null)) {
            ControlAgent agent = new ControlAgent(node.state(), SystemNanoClock.INSTANCE, e -> { });
            AtomicReference<Thread> parkedOn = new AtomicReference<>();
            agent.addDuty(() -> {
                parkedOn.compareAndSet(null, Thread.currentThread());
                return 0;
            });
            AgentRunner runner = new AgentRunner(ControlAgent.idleStrategy(HOUR_NS, HOUR_NS), e -> { }, null, agent);
            AgentRunner.startOnThread(runner);
            try {
                Thread thread = awaitParked(parkedOn);
                CountDownLatch ran = new CountDownLatch(1);
                AtomicReference<Thread> ranOn = new AtomicReference<>();

                assertTrue(agent.submit(() -> {
                    ranOn.set(Thread.currentThread());
                    ran.countDown();
                }));

                assertTrue(ran.await(10, TimeUnit.SECONDS), "the parked control thread was woken for the task");
                assertEquals(thread, ranOn.get(), "on the control thread");
            } finally {
                runner.close();
            }
        }
    }

    /** Waits until the agent's thread has run a cycle and is parked (a backoff parks after 10 spins and 5 yields). */
    private static Thread awaitParked(AtomicReference<Thread> agentThread) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Thread t = agentThread.get();
            if (t != null && t.getState() == Thread.State.TIMED_WAITING) {
                return t;
            }
            Thread.sleep(5);
        }
        throw new AssertionError("the control thread never parked");
    }
}
