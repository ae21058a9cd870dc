package dev.gingham.jmh.kubeproxy;

import dev.gingham.packet.FrameVector;

/**
 * One way of turning a packet addressed to a Service into the backend it goes to: the step that
 * kube-proxy's iptables, IPVS and nftables modes and Gingham's service maps all perform, modelled
 * side by side so one JMH run can compare their cost as the number of services grows.
 *
 * <p>Every implementation reads the same parsed tuple (the {@link FrameVector} metadata the
 * parser filled: destination address, destination port, protocol, source address) and returns
 * the DNAT target it chose, packed by {@link #backend(int, int)}. The cluster the models serve is
 * {@link ServiceCatalog}'s: service {@code s} is one ClusterIP:port with
 * {@link ServiceCatalog#BACKENDS} backends.
 *
 * <p>Not thread-safe: one instance per benchmark thread, as each model's state (random number
 * generators, round-robin cursors, rule counters) is written per packet.
 */
public interface ServiceDataplane extends AutoCloseable {
    /** Returned by {@link #select} when the packet is not addressed to a service. */
    long NO_SERVICE = -1;

    /**
     * Returns: the backend frame {@code i} goes to, as {@link #backend(int, int)}, or
     * {@link #NO_SERVICE}. Allocates nothing.
     */
    long select(FrameVector v, int i);

    /**
     * Installs services {@code 0 .. count-1} of the catalog as one synchronisation (kube-proxy's
     * first full sync after start), on an empty model. By default one {@link #addService} each;
     * a model whose update rewrites everything (iptables) writes them in one go.
     */
    default void load(int count) {
        for (int s = 0; s < count; s++) {
            addService(s);
        }
    }

    /** Installs service {@code s} of the catalog: the control-plane work of one Service creation. */
    void addService(int s);

    /** Removes service {@code s}; returns false when it was not installed. */
    boolean removeService(int s);

    /** Returns: the number of services installed. */
    int services();

    @Override
    default void close() {
    }

    /** Returns: a DNAT target packed as {@code address << 16 | port} (address unsigned). */
    static long backend(int ipv4, int port) {
        return (Integer.toUnsignedLong(ipv4) << 16) | (port & 0xFFFF);
    }

    /** Returns: the IPv4 address of a packed backend. */
    static int backendAddress(long backend) {
        return (int) (backend >>> 16);
    }

    /** Returns: the port of a packed backend. */
    static int backendPort(long backend) {
        return (int) (backend & 0xFFFF);
    }
}
