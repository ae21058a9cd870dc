package dev.gingham.dataplane.k8s;

/**
 * A container port a pod declares. A NetworkPolicy port given by name resolves through these, per
 * destination pod: two pods may give the same name different numbers.
 *
 * @param name     the port's name ("" when unnamed)
 * @param port     1..65535
 * @param protocol its protocol
 */
public record ContainerPort(String name, int port, Protocol protocol) {
    public ContainerPort {
        if (name == null) {
            name = "";
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("container port " + port + " must be 1..65535");
        }
        if (protocol == null) {
            protocol = Protocol.TCP;
        }
    }
}
