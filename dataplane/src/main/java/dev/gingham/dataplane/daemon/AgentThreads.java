package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.agent.ControlAgent;
import dev.gingham.dataplane.agent.WorkerAgent;
import dev.gingham.dataplane.config.IdleStrategyConfig;
import dev.gingham.dataplane.config.ThreadingMode;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.IdleStrategy;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Puts the agents on threads as the configuration says (DESIGN.md §4): {@code dedicated}, one
 * thread per worker with the configured idle strategy and one for the control agent (which
 * always backs off, to parks of up to 10 ms, and is woken by a submitted task: it has no frames
 * to wait for); {@code shared}, every agent on one thread,
 * taking turns (a composite agent). Threads are platform threads named after their agents
 * ({@code gingham-worker-0}, {@code gingham-control}), so {@code top -H} and a thread dump say
 * which is which.
 */
final class AgentThreads implements AutoCloseable {
    /** How long {@link #close()} waits for an agent thread to finish its cycle. */
    private static final long CLOSE_TIMEOUT_MS = 5_000;

    private final List<AgentRunner> runners = new ArrayList<>();

    private AgentThreads() {
    }

    /** Starts the agents. {@code errors} receives what an agent throws (the agent keeps running). */
    static AgentThreads start(ThreadingMode mode, IdleStrategyConfig idle, List<WorkerAgent> workers, Agent control,
                              Consumer<Throwable> errors) {
        AgentThreads threads = new AgentThreads();
        if (mode == ThreadingMode.SHARED) {
            List<Agent> all = new ArrayList<>(workers);
            all.add(control);
            threads.run(new CompositeAgent(all), idle.newIdleStrategy(), errors);
        } else {
            for (WorkerAgent worker : workers) {
                threads.run(worker, idle.newIdleStrategy(worker), errors);
            }
            threads.run(control, ControlAgent.idleStrategy(), errors);
        }
        return threads;
    }

    private void run(Agent agent, IdleStrategy idle, Consumer<Throwable> errors) {
        AgentRunner runner = new AgentRunner(idle, errors::accept, null, agent);
        AgentRunner.startOnThread(runner, r -> {
            Thread t = new Thread(r, agent.roleName());
            t.setDaemon(true);
            return t;
        });
        runners.add(runner);
    }

    /** Returns: whether every agent thread is still running (health). */
    boolean allRunning() {
        for (AgentRunner runner : runners) {
            Thread t = runner.thread();
            if (runner.isClosed() || t == null || !t.isAlive()) {
                return false;
            }
        }
        return true;
    }

    /** Stops every agent at the end of its current cycle and waits for the threads (bounded). */
    @Override
    public void close() {
        for (AgentRunner runner : runners) {
            runner.close((int) CLOSE_TIMEOUT_MS, t -> t.interrupt());
        }
        runners.clear();
    }
}
