package dev.gingham.jmh.report;

import dev.gingham.dataplane.fuzz.FuzzNode;
import dev.gingham.dataplane.node.ConfiguredNode;

/** The benchmark methods the report knows by name ({@code YBenchmark.method}, as in the JMH JSON). */
final class Names {
    static final String KUBE_PROXY = "KubeProxyBenchmark.selectBackend";
    static final String KUBE_PROXY_UPDATE = "KubeProxyUpdateBenchmark.update";
    static final String PIPELINE = "PipelineBenchmark.run";
    static final String ENCAP_BASELINE = "EncapBenchmark.baseline";
    static final String ENCAP = "EncapBenchmark.encap";
    static final String DECAP_BASELINE = "DecapBenchmark.baseline";
    static final String DECAP = "DecapBenchmark.decap";
    static final String DECAP_DELIVER = "DecapBenchmark.decapAndDeliver";
    static final String POLICY = "PolicyVerdictBenchmark.verdict";
    static final String CONNTRACK_VECTOR = "ConntrackBenchmark.lookupAndAccountPrefetched";
    static final String CONNTRACK = "ConntrackBenchmark.lookupAndAccount";
    /** The new-flow path the vector way, as the node's programs run it: what issue 3's target is judged on. */
    static final String NEW_FLOW = "NewFlowBenchmark.newFlowPrefetched";
    static final String NEW_FLOW_FRAME_BY_FRAME = "NewFlowBenchmark.newFlow";
    static final String MAGLEV_BUILD = "MaglevBenchmark.build";
    static final String REPLAY = "ReplayBenchmark.replay";
    static final String FUZZ_LOOP = "FuzzLoopBenchmark.vector";
    static final String CAPTURE_READ = "CaptureReaderBenchmark.read";
    static final String CAPTURE_WRITE = "CaptureWriterBenchmark.write";
    static final String FUZZ_MUTATE = "FrameFuzzerBenchmark.mutate";
    static final String FUZZ_FLOOD = "FrameFuzzerBenchmark.flood";
    static final String FUZZ_HARNESS = "FrameFuzzerBenchmark.harnessWithParser";

    /** The fuzz command's ports ({@code FuzzNode.portName}), in the order it runs them: the fuzz loop's {@code port} values. */
    static final String[] FUZZ_PORTS = {FuzzNode.POD_PORT, ConfiguredNode.UNDERLAY, ConfiguredNode.HOST};

    /** The kube-proxy comparison's implementations, in the order the report shows them, with their labels. */
    static final String[] SERVICE_IMPLS = {"iptables", "ipvs", "nftables", "gingham-random", "gingham-maglev"};
    static final String[] SERVICE_LABELS = {"iptables", "IPVS", "nftables", "Gingham random", "Gingham Maglev"};
    static final String[] SERVICE_COLORS = {"#d62728", "#ff7f0e", "#9467bd", "#1f77b4", "#2ca02c"};

    /** Pipeline paths that carry established flows (the 12 Mpps target) and the new-flow path (2 Mpps). */
    static final String[] ESTABLISHED_PATHS = {"pod-to-pod", "service", "to-remote-pod"};
    static final String NEW_FLOW_PATH = "new-nodeport-flow";
    /** The vector size workers run (the targets are judged at it). */
    static final String TARGET_BATCH = "256";

    private Names() {
    }
}
