package dev.gingham.dataplane.agent;

/**
 * Something an idle agent can sleep on until frames arrive: a worker's ports, through one epoll
 * instance ({@link PortWaiter}). What {@link AdaptiveIdleStrategy} calls once spinning and
 * yielding found nothing.
 */
@FunctionalInterface
public interface FrameWaiter {
    /** {@link #awaitFrames}: this agent's ports cannot be waited on; park instead. */
    int CANNOT_WAIT = -1;

    /**
     * Sleeps until a port has a frame or {@code timeoutMs} passes.
     *
     * @return the number of ports that ended the sleep (0: the timeout did), or {@link #CANNOT_WAIT},
     *         at once, when a port has no descriptor (an in-memory port) or the epoll instance could
     *         not be made
     */
    int awaitFrames(int timeoutMs);
}
