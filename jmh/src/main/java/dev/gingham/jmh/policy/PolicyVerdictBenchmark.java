package dev.gingham.jmh.policy;

import dev.gingham.dataplane.k8s.Protocol;
import dev.gingham.dataplane.policy.Direction;
import dev.gingham.dataplane.policy.DirectionPolicy;
import dev.gingham.dataplane.policy.EndpointPolicy;
import dev.gingham.dataplane.policy.PolicyLookup;
import dev.gingham.dataplane.policy.PolicyMaps;
import dev.gingham.dataplane.policy.PolicyPublisher;
import dev.gingham.dataplane.policy.PolicyRow;
import dev.gingham.dataplane.policy.PortRanges;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Does a policy verdict cost the same with 0, 100 or 10,000 rules? (Issue target: T(10k) / T(0)
 * &le; 2 and 0 B/op.) Compared in the same run with a linear rule list evaluated first match
 * wins, the way an iptables or Calico chain for one endpoint is walked.
 *
 * <p>One endpoint's ingress policy over {@value #IDENTITIES} peer identities (256..1255). Each
 * rule allows one identity drawn at random on one TCP or UDP port or port range drawn from a
 * realistic mix (80, 443, 8080, 5432, 6379, 53, 9090, 1000-2000, 30000-32767); rules for the same
 * identity merge into one row, as the compiler merges them. "0 rules" is a policy that selects
 * the endpoint and allows nothing (deny all); "1" is a single rule.
 *
 * <p>Per operation: one verdict for a probe drawn from {@value #PROBES} precomputed (peer,
 * protocol, port) triples, peers uniform over all identities, half of the probes aimed at a
 * port some rule of that identity allows. {@code gingham}: {@link PolicyLookup#check} on the
 * published maps; {@code linear}: the same rules as arrays (identity, protocol, first port, last
 * port) scanned in order, no allocation either. Batches of {@value #BATCH} independent probes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx2g"})
public class PolicyVerdictBenchmark {
    static final int IDENTITIES = 1000;
    static final int FIRST_IDENTITY = 256;
    static final int BATCH = 1024;
    private static final int PROBES = 1 << 16;
    private static final int[][] PORT_MIX = {{80, 80}, {443, 443}, {8080, 8080}, {5432, 5432}, {6379, 6379},
        {53, 53}, {9090, 9090}, {1000, 2000}, {30000, 32767}};

    @Param({"0", "1", "100", "10000"})
    public int rules;

    @Param({"gingham", "linear"})
    public String impl;

    private PolicyMaps maps;
    private PolicyLookup lookup;
    private int[] ruleIdentity;
    private int[] ruleProtocol;
    private int[] ruleFirst;
    private int[] ruleLast;
    private int[] probePeer;
    private int[] probeProtocol;
    private int[] probePort;
    private int cursor;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(1234);
        ruleIdentity = new int[rules];
        ruleProtocol = new int[rules];
        ruleFirst = new int[rules];
        ruleLast = new int[rules];
        Map<Integer, PolicyRow> rows = new HashMap<>();
        for (int r = 0; r < rules; r++) {
            int[] ports = PORT_MIX[random.nextInt(PORT_MIX.length)];
            Protocol protocol = ports[0] == 53 || random.nextInt(8) == 0 ? Protocol.UDP : Protocol.TCP;
            ruleIdentity[r] = FIRST_IDENTITY + random.nextInt(IDENTITIES);
            ruleProtocol[r] = protocol.number();
            ruleFirst[r] = ports[0];
            ruleLast[r] = ports[1];
            rows.merge(ruleIdentity[r], PolicyRow.ports(protocol, PortRanges.of(ports[0], ports[1]), 1), PolicyRow::union);
        }
        maps = PolicyMaps.create(16, Math.max(1024, 2 * rows.size()), 4096);
        new PolicyPublisher(maps).publish(Map.of(0, new EndpointPolicy(300,
                new DirectionPolicy(true, false, rows), DirectionPolicy.OPEN)));
        lookup = new PolicyLookup(maps);

        probePeer = new int[PROBES];
        probeProtocol = new int[PROBES];
        probePort = new int[PROBES];
        for (int p = 0; p < PROBES; p++) {
            if (rules > 0 && random.nextBoolean()) {
                int r = random.nextInt(rules); // aimed at an allowed port
                probePeer[p] = ruleIdentity[r];
                probeProtocol[p] = ruleProtocol[r];
                probePort[p] = ruleFirst[r] + random.nextInt(ruleLast[r] - ruleFirst[r] + 1);
            } else {
                probePeer[p] = FIRST_IDENTITY + random.nextInt(IDENTITIES);
                probeProtocol[p] = random.nextInt(4) == 0 ? 17 : 6;
                probePort[p] = 1 + random.nextInt(65535);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        maps.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int verdict() {
        int allowed = 0;
        int c = cursor;
        boolean maps = impl.equals("gingham");
        for (int k = 0; k < BATCH; k++) {
            c = (c + 1) & (PROBES - 1);
            allowed += maps
                    ? (lookup.check(0, Direction.INGRESS, probePeer[c], probeProtocol[c], probePort[c], false) == PolicyLookup.ALLOWED ? 1 : 0)
                    : linear(probePeer[c], probeProtocol[c], probePort[c]);
        }
        cursor = c;
        return allowed;
    }

    /** First match wins over the rule list, as a chain is walked; no match: the chain's final DROP. */
    private int linear(int peer, int protocol, int port) {
        for (int r = 0; r < ruleIdentity.length; r++) {
            if (ruleIdentity[r] == peer && ruleProtocol[r] == protocol && port >= ruleFirst[r] && port <= ruleLast[r]) {
                return 1;
            }
        }
        return 0;
    }
}
