package dev.gingham.dataplane.nodebench;

/**
 * The two pods one path connects: a client and a server, each a network namespace with one
 * interface ({@code eth0}). The server runs iperf3 and the request/response server; the client
 * sends to the {@link BenchServices} ClusterIPs, and pings the server's own address.
 *
 * @param path      "gingham", "kernel" or "tap-ceiling" (JSON and log lines)
 * @param clientNs  the client's namespace
 * @param serverNs  the server's namespace
 * @param clientIp  the client's address
 * @param serverIp  the server's address (what ping targets; services forward to it)
 */
record PodPair(String path, String clientNs, String serverNs, String clientIp, String serverIp) {
}
