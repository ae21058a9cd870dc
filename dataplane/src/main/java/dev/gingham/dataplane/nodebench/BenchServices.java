package dev.gingham.dataplane.nodebench;

/**
 * The three ClusterIP services every path of the benchmark offers, at the same addresses on both
 * (Gingham's Service objects; the kernel path's DNAT rules): iperf3 TCP, the TCP request/response
 * server, and a UDP sink for the packet-rate test. The UDP port has no listener: the receiving
 * pod's kernel counts the frames on its interface and drops them (its ICMP port-unreachable
 * replies are rate-limited to about one a second by the kernel).
 */
final class BenchServices {
    static final String IPERF_VIP = "10.96.0.10";
    static final int IPERF_PORT = 5201;
    static final String UDP_VIP = "10.96.0.11";
    static final int UDP_PORT = 9;
    static final String RR_VIP = "10.96.0.12";
    static final int RR_PORT = 7000;
    /** UDP source port of the packet-rate sender. */
    static final int UDP_SOURCE_PORT = 40_000;

    private BenchServices() {
    }
}
