package dev.gingham.dataplane.agent;

/**
 * Something an idle agent can sleep on until frames arrive: a worker's ports, through one epoll
 * instance ({@link PortWaiter}). What {@link AdaptiveIdleStrategy} calls once spinning found nothing.
 */
@FunctionalInterface
public interface FrameWaiter {
    /**
     * Sleeps until a port has a frame or {@code timeoutMs} passes.
     *
     * @return false, at once, when this agent's ports cannot be waited on (one has no descriptor:
     *         an in-memory port), so the caller parks instead
     */
    boolean awaitFrames(int timeoutMs);
}
