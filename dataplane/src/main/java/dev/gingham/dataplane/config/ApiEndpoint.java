package dev.gingham.dataplane.config;

import dev.gingham.nat.IpAddress;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * Where the admin API listens: a loopback TCP address or a unix socket. Anything reachable from
 * outside the node is refused: the API can dump conntrack and policy and stream flows, and pods
 * reach the node's other addresses (DESIGN.md §6: node-local only).
 *
 * @param host       the loopback address (IPv4 127.0.0.0/8 or ::1), null for a unix socket
 * @param port       TCP port 1..65535, 0 for a unix socket
 * @param unixSocket the socket path (absolute), null for TCP
 */
public record ApiEndpoint(IpAddress host, int port, Path unixSocket) {
    /** The default: loopback only, a port next to Cilium's agent health port (9879). */
    public static final String DEFAULT = "127.0.0.1:9890";
    private static final String UNIX = "unix:";

    /** Returns: true for a unix socket. */
    public boolean isUnix() {
        return unixSocket != null;
    }

    /**
     * Parses {@code 127.0.0.1:PORT}, {@code [::1]:PORT}, {@code localhost:PORT} or {@code unix:/path}.
     *
     * @throws IllegalArgumentException saying what is wrong, including any non-loopback address
     */
    public static ApiEndpoint parse(String text) {
        if (text.startsWith(UNIX)) {
            String path = text.substring(UNIX.length());
            if (path.isEmpty() || !path.startsWith("/")) {
                throw new IllegalArgumentException("'" + text + "': a unix socket needs an absolute path (unix:/run/gingham/api.sock)");
            }
            return new ApiEndpoint(null, 0, Path.of(path));
        }
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT or unix:/path");
        }
        String hostText = text.substring(0, colon);
        String portText = text.substring(colon + 1);
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "': port '" + portText + "' is not a number");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("'" + text + "': port must be 1..65535, got " + port);
        }
        if (hostText.startsWith("[") && hostText.endsWith("]")) {
            hostText = hostText.substring(1, hostText.length() - 1);
        } else if (hostText.indexOf(':') >= 0) {
            throw new IllegalArgumentException("'" + text + "': write an IPv6 address in brackets ([::1]:" + port + ")");
        }
        IpAddress host;
        if (hostText.equals("localhost")) {
            host = IpAddress.parse("127.0.0.1");
        } else {
            try {
                host = IpAddress.parse(hostText);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + text + "': host '" + hostText + "' is not an IP address or localhost");
            }
        }
        if (!isLoopback(host)) {
            throw new IllegalArgumentException("'" + text + "': " + host + " is not a loopback address; the admin API is "
                    + "node-local only (use 127.0.0.1, [::1] or unix:/path)");
        }
        return new ApiEndpoint(host, port, null);
    }

    /** Returns: true for 127.0.0.0/8 and ::1, the only TCP addresses the API may listen on. */
    public static boolean isLoopback(IpAddress host) {
        return host.ipv4() ? (host.v4() >>> 24) == 127 : host.hi() == 0 && host.lo() == 1;
    }

    /**
     * Returns: true when this endpoint cannot be reached from outside the node: a loopback TCP
     * address or an absolute unix socket path. The record's constructor does not check (tests
     * build {@code 127.0.0.1:0}, which {@link #parse} refuses); the server checks this before it binds.
     */
    public boolean nodeLocal() {
        if (isUnix()) {
            return host == null && unixSocket.isAbsolute();
        }
        return host != null && isLoopback(host) && port >= 0 && port <= 65535;
    }

    @Override
    public String toString() {
        if (isUnix()) {
            return UNIX + unixSocket;
        }
        return (host.ipv4() ? host.toString() : "[" + host + "]") + ":" + port;
    }

    /**
     * Returns: a blocking channel connected to this unix socket: how the CLI and the CNI plugin
     * dial the API (Java's HttpClient cannot).
     *
     * @throws IOException when nobody listens there (the channel is closed again)
     */
    public SocketChannel connectUnix() throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(unixSocket));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return channel;
    }
}
