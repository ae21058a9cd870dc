package dev.gingham.nat.lb;

import dev.gingham.nat.IpAddress;

import java.util.ArrayList;
import java.util.List;

/** Builders for specs and configs shared by the load-balancer tests. */
final class LbTestSupport {
    static final IpAddress NODE1 = IpAddress.parse("192.168.1.10");
    static final IpAddress NODE2 = IpAddress.parse("192.168.1.11");
    static final IpAddress NODE_V6 = IpAddress.parse("fd00::10");
    static final int TCP = L4Protocol.TCP_NUMBER;
    static final int UDP = L4Protocol.UDP_NUMBER;

    private LbTestSupport() {
    }

    static LbConfig config() {
        return LbConfig.defaults(List.of(NODE1, NODE2, NODE_V6)).withCapacity(64, 256, 1024, 64, 8);
    }

    static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    static ServiceSpec.Backend backend(String address, int targetPort) {
        return new ServiceSpec.Backend("http", ip(address), targetPort, BackendState.ACTIVE, 1, false, 0);
    }

    static ServiceSpec.Backend backend(String port, String address, int targetPort, BackendState state, int weight, boolean local) {
        return new ServiceSpec.Backend(port, ip(address), targetPort, state, weight, local, 0);
    }

    /** A mutable builder: defaults to a ClusterIP 10.96.0.10:80/TCP service "default/web" with port "http". */
    static final class Spec {
        String namespace = "default";
        String name = "web";
        ServiceSpec.Type type = ServiceSpec.Type.CLUSTER_IP;
        List<IpAddress> clusterIps = new ArrayList<>(List.of(ip("10.96.0.10")));
        List<IpAddress> externalIps = new ArrayList<>();
        List<IpAddress> lbIps = new ArrayList<>();
        List<ServiceSpec.Port> ports = new ArrayList<>(List.of(new ServiceSpec.Port("http", L4Protocol.TCP, 80, 0)));
        Algorithm algorithm = Algorithm.RANDOM;
        int affinitySec;
        ServiceSpec.TrafficPolicy etp = ServiceSpec.TrafficPolicy.CLUSTER;
        ServiceSpec.TrafficPolicy itp = ServiceSpec.TrafficPolicy.CLUSTER;
        ServiceSpec.NoBackendAction noBackend = ServiceSpec.NoBackendAction.REJECT;
        List<ServiceSpec.Backend> backends = new ArrayList<>();

        Spec name(String n) {
            name = n;
            return this;
        }

        Spec type(ServiceSpec.Type t) {
            type = t;
            return this;
        }

        Spec clusterIp(String a) {
            clusterIps = new ArrayList<>(List.of(ip(a)));
            return this;
        }

        Spec externalIp(String a) {
            externalIps.add(ip(a));
            return this;
        }

        Spec lbIp(String a) {
            lbIps.add(ip(a));
            return this;
        }

        Spec ports(ServiceSpec.Port... p) {
            ports = new ArrayList<>(List.of(p));
            return this;
        }

        Spec algorithm(Algorithm a) {
            algorithm = a;
            return this;
        }

        Spec affinity(int sec) {
            affinitySec = sec;
            return this;
        }

        Spec etp(ServiceSpec.TrafficPolicy p) {
            etp = p;
            return this;
        }

        Spec itp(ServiceSpec.TrafficPolicy p) {
            itp = p;
            return this;
        }

        Spec noBackend(ServiceSpec.NoBackendAction a) {
            noBackend = a;
            return this;
        }

        Spec backends(ServiceSpec.Backend... b) {
            backends = new ArrayList<>(List.of(b));
            return this;
        }

        Spec backends(List<ServiceSpec.Backend> b) {
            backends = new ArrayList<>(b);
            return this;
        }

        ServiceSpec build() {
            return new ServiceSpec(namespace, name, type, clusterIps, externalIps, lbIps, ports, algorithm, affinitySec,
                    etp, itp, noBackend, backends);
        }
    }

    static Spec spec() {
        return new Spec();
    }

    /** Returns: n active backends 10.0.{base}.1.. on targetPort 8080 for port "http". */
    static List<ServiceSpec.Backend> backends(int base, int n) {
        List<ServiceSpec.Backend> list = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            list.add(backend("10.0." + base + "." + i, 8080));
        }
        return list;
    }
}
