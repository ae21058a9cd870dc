package dev.gingham.dataplane.k8s;

import java.util.regex.Pattern;

/**
 * One entry of a rule's {@code ports}: a protocol with all its ports, one port, a port range
 * ({@code port}..{@code endPort}) or a named port. Plain ints with documented sentinels rather
 * than optionals, as the compiler walks these in loops.
 *
 * @param protocol TCP, UDP or SCTP (Kubernetes defaults to TCP)
 * @param port     the first port, 1..65535; 0 when the entry gives no port (all ports) or a name
 * @param endPort  the last port of a range (inclusive, {@code >= port}); 0 for a single port
 * @param portName the named port ("" unless the entry names one); resolved per destination pod
 */
public record NetworkPolicyPort(Protocol protocol, int port, int endPort, String portName) {
    /** IANA_SVC_NAME, as the API validates port names: 1-15 lowercase letters, digits and '-'. */
    private static final Pattern PORT_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?");

    public NetworkPolicyPort {
        if (protocol == null) {
            protocol = Protocol.TCP;
        }
        if (portName == null) {
            portName = "";
        }
        if (!portName.isEmpty()) {
            if (port != 0 || endPort != 0) {
                throw new IllegalArgumentException("a named port has no number and no endPort");
            }
            if (!PORT_NAME.matcher(portName).matches() || portName.chars().noneMatch(Character::isLetter)) {
                throw new IllegalArgumentException("'" + portName + "' is not a valid port name (1-15 lowercase letters, digits, '-', at least one letter)");
            }
        } else if (port == 0) {
            if (endPort != 0) {
                throw new IllegalArgumentException("endPort needs a numeric port");
            }
        } else {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " must be 1..65535");
            }
            if (endPort != 0 && (endPort < port || endPort > 65535)) {
                throw new IllegalArgumentException("endPort " + endPort + " must be " + port + "..65535");
            }
        }
    }

    /** Every port of {@code protocol}. */
    public static NetworkPolicyPort all(Protocol protocol) {
        return new NetworkPolicyPort(protocol, 0, 0, "");
    }

    public static NetworkPolicyPort number(Protocol protocol, int port) {
        return new NetworkPolicyPort(protocol, port, 0, "");
    }

    public static NetworkPolicyPort range(Protocol protocol, int port, int endPort) {
        return new NetworkPolicyPort(protocol, port, endPort, "");
    }

    public static NetworkPolicyPort named(Protocol protocol, String name) {
        return new NetworkPolicyPort(protocol, 0, 0, name);
    }

    public boolean named() {
        return !portName.isEmpty();
    }

    /** Returns: the last port this entry allows, for a numeric entry. */
    public int lastPort() {
        return endPort == 0 ? port : endPort;
    }
}
