package dev.gingham.jmh.policy;

import dev.gingham.dataplane.identity.CidrIdentityAllocator;
import dev.gingham.dataplane.identity.IdentityAllocator;
import dev.gingham.dataplane.identity.PrefixIdentitySink;
import dev.gingham.dataplane.identity.SecurityLabels;
import dev.gingham.dataplane.k8s.ContainerPort;
import dev.gingham.dataplane.k8s.LabelSelector;
import dev.gingham.dataplane.k8s.LabelSelectorRequirement;
import dev.gingham.dataplane.k8s.Namespace;
import dev.gingham.dataplane.k8s.NetworkPolicy;
import dev.gingham.dataplane.k8s.NetworkPolicyPeer;
import dev.gingham.dataplane.k8s.NetworkPolicyPort;
import dev.gingham.dataplane.k8s.NetworkPolicyRule;
import dev.gingham.dataplane.k8s.Pod;
import dev.gingham.dataplane.k8s.Protocol;
import dev.gingham.dataplane.policy.ClusterSnapshot;
import dev.gingham.dataplane.policy.EndpointPolicy;
import dev.gingham.dataplane.policy.PolicyCompiler;
import dev.gingham.dataplane.policy.PolicyMaps;
import dev.gingham.dataplane.policy.PolicyPublisher;
import dev.gingham.packet.Cidr;
import dev.gingham.nat.IpAddress;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * How long does compiling (and publishing) 1,000 policies over 10,000 pods take? Single-shot:
 * each measurement is one full compile from a {@link ClusterSnapshot}, as a policy change
 * triggers it.
 *
 * <p>The cluster: 100 namespaces (labels team, env), 100 pods each, 10 replicas of 10 apps per
 * namespace (labels app, tier; container ports http 8080 and metrics 9090), so 1,000 distinct
 * label sets = 1,000 identities. 10 policies per namespace: a default deny, and 9 allowing an
 * app ingress from another app of the namespace, from a team's namespaces (namespaceSelector
 * AND podSelector), from namespaces NotIn a set, from an ipBlock with an except, on numeric,
 * named and endPort ports, plus egress rules. {@code endpoints}: how many pods are local
 * (compiled and, for {@code compileAndPublish}, written to the maps): a node's 100, or all 10,000.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgs = {"-Xmx4g"})
public class PolicyCompileBenchmark {
    static final int NAMESPACES = 100;
    static final int PODS_PER_NAMESPACE = 100;
    static final int POLICIES_PER_NAMESPACE = 10;

    @Param({"100", "10000"})
    public int endpoints;

    private ClusterSnapshot snapshot;
    private Map<Integer, Pod> locals;
    private PolicyMaps maps;
    private PolicyPublisher publisher;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(99);
        IdentityAllocator identities = new IdentityAllocator();
        CidrIdentityAllocator cidrs = new CidrIdentityAllocator(new PrefixIdentitySink() {
            @Override
            public int upsert(Cidr prefix, int identity) {
                return 0;
            }

            @Override
            public int remove(Cidr prefix) {
                return 0;
            }
        });
        Map<String, Namespace> namespaces = new HashMap<>();
        Map<String, Pod> pods = new HashMap<>();
        Map<String, Integer> podIdentity = new HashMap<>();
        Map<Integer, SecurityLabels> identityLabels = new HashMap<>();
        locals = new HashMap<>();
        for (int n = 0; n < NAMESPACES; n++) {
            Namespace ns = Namespace.of("ns-" + n, Map.of("team", "team-" + (n % 10), "env", n % 3 == 0 ? "prod" : "dev"));
            namespaces.put(ns.name(), ns);
            for (int p = 0; p < PODS_PER_NAMESPACE; p++) {
                int app = p % 10;
                Pod pod = new Pod(ns.name(), "app-" + app + "-" + p, Map.of("app", "app-" + app, "tier", app < 5 ? "web" : "data"),
                        IpAddress.parse("10." + (n / 256) + "." + (n % 256) + "." + (p + 1)), List.of(
                        new ContainerPort("http", 8080, Protocol.TCP), new ContainerPort("metrics", 9090, Protocol.TCP)));
                SecurityLabels labels = SecurityLabels.of(pod, ns);
                int id = identities.acquire(labels);
                pods.put(pod.key(), pod);
                podIdentity.put(pod.key(), id);
                identityLabels.put(id, labels);
                if (locals.size() < endpoints && (endpoints >= NAMESPACES * PODS_PER_NAMESPACE || p < endpoints / NAMESPACES)) {
                    locals.put(locals.size(), pod);
                }
            }
        }
        Map<Integer, NetworkPolicy> policies = new HashMap<>();
        Map<Integer, Cidr> cidrIds = new HashMap<>();
        int policyId = 1;
        for (int n = 0; n < NAMESPACES; n++) {
            String ns = "ns-" + n;
            policies.put(policyId++, NetworkPolicy.of(ns, "default-deny", LabelSelector.ALL, List.of(), List.of()));
            for (int k = 1; k < POLICIES_PER_NAMESPACE; k++) {
                LabelSelector target = LabelSelector.of(Map.of("app", "app-" + k));
                NetworkPolicyPeer sameNamespace = new NetworkPolicyPeer.Pods(LabelSelector.of(Map.of("app", "app-" + random.nextInt(10))), Optional.empty());
                NetworkPolicyPeer team = new NetworkPolicyPeer.Pods(LabelSelector.of(Map.of("tier", "web")),
                        Optional.of(LabelSelector.of(Map.of("team", "team-" + random.nextInt(10)))));
                NetworkPolicyPeer notProd = new NetworkPolicyPeer.Pods(LabelSelector.ALL, Optional.of(new LabelSelector(Map.of(),
                        List.of(new LabelSelectorRequirement("env", LabelSelectorRequirement.Operator.NOT_IN, List.of("prod"))))));
                Cidr block = Cidr.parse("172." + (16 + random.nextInt(16)) + ".0.0/16");
                Cidr except = Cidr.parse(block.toString().replace(".0.0/16", ".5.0/24"));
                cidrIds.put(cidrs.acquire(block), block);
                cidrIds.put(cidrs.acquire(except), except);
                NetworkPolicyPeer ipBlock = new NetworkPolicyPeer.IpBlock(block, List.of(except));
                List<NetworkPolicyRule> ingress = List.of(
                        new NetworkPolicyRule(List.of(sameNamespace), List.of(NetworkPolicyPort.named(Protocol.TCP, "http"))),
                        new NetworkPolicyRule(List.of(team, ipBlock), List.of(NetworkPolicyPort.number(Protocol.TCP, 443),
                                NetworkPolicyPort.range(Protocol.TCP, 30000, 32767))),
                        new NetworkPolicyRule(List.of(k % 3 == 0 ? notProd : team), List.of(NetworkPolicyPort.named(Protocol.TCP, "metrics"))));
                List<NetworkPolicyRule> egress = k % 2 == 0 ? List.of(
                        new NetworkPolicyRule(List.of(sameNamespace), List.of(NetworkPolicyPort.named(Protocol.TCP, "http"))),
                        new NetworkPolicyRule(List.of(), List.of(NetworkPolicyPort.number(Protocol.UDP, 53)))) : List.of();
                policies.put(policyId++, NetworkPolicy.of(ns, "allow-" + k, target, ingress, egress));
            }
        }
        snapshot = new ClusterSnapshot(namespaces, pods, podIdentity, identityLabels, cidrIds, policies);
        maps = PolicyMaps.create(Math.max(endpoints, 1), 2_000_000, 8192);
        publisher = new PolicyPublisher(maps);
    }

    /** Every measurement starts from empty maps, so a publish writes every table (not a no-op republish). */
    @Setup(Level.Invocation)
    public void clearMaps() {
        publisher.publish(Map.of());
        publisher.reclaim();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        maps.close();
    }

    @Benchmark
    public Map<Integer, EndpointPolicy> compile() {
        return new PolicyCompiler(snapshot).compileAll(locals, pod -> false);
    }

    @Benchmark
    public long compileAndPublish() {
        Map<Integer, EndpointPolicy> compiled = new PolicyCompiler(snapshot).compileAll(locals, pod -> false);
        publisher.publish(compiled);
        publisher.reclaim();
        return publisher.generation();
    }
}
