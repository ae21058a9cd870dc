package dev.gingham.dataplane.replay;

/**
 * Decides which Gingham port frames of a capture interface entered through: the pcapng
 * interface name is a port name (a pod, {@code underlay}, {@code host}); a classic pcap has one
 * unnamed interface, which the replay's {@code --ingress} option names.
 *
 * <p>{@link CaptureFeed} asks once per interface, when its first frame arrives, and keeps the
 * answer in an int array: no lookup by name per frame.
 */
@FunctionalInterface
public interface IngressPorts {
    /** What {@link #portOf} returns for an interface whose frames are skipped (and counted). */
    int SKIP = -1;

    /**
     * Returns: the port number for frames from this interface, or {@link #SKIP}. May throw an
     * {@link IllegalArgumentException} naming the interface when it matches no port and the
     * caller wants that to stop the replay.
     *
     * @param interfaceIndex the reader's global interface index
     * @param interfaceName  the interface's name, or null when the capture has none
     */
    int portOf(int interfaceIndex, String interfaceName);
}
