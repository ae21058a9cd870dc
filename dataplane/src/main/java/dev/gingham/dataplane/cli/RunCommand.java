package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.cluster.ClusterSource;
import dev.gingham.dataplane.cluster.ManifestWatcher;
import dev.gingham.dataplane.config.ConfigException;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.daemon.DaemonLog;
import dev.gingham.dataplane.daemon.NodeDaemon;
import dev.gingham.dataplane.k8s.ManifestException;
import dev.gingham.dataplane.kubeapi.KubeApiSource;
import dev.gingham.tap.NetDeviceException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code gingham run}: the node daemon in the foreground until SIGTERM or Ctrl-C (then a graceful
 * stop: devices deleted unless restart.keepDevices, pinned maps kept). The cluster state comes from exactly one source: a
 * manifests directory ({@code --manifests}) or a Kubernetes API server ({@code --kubeconfig}).
 * Start-up problems (configuration, manifests, an API server that does not answer, devices,
 * permissions) end it at once with one clear line and exit code 1, before any device exists when
 * the cluster state is the problem.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the node daemon: pods' TAP devices, the pipeline, and the cluster state from a manifests directory "
                + "(hot reload) or a Kubernetes API server (informers).")
public final class RunCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "the node configuration (YAML)")
    Path config;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    /** Exactly one of the two (picocli reports none or both as a usage error). */
    static final class Source {
        @Option(names = "--manifests", paramLabel = "DIR", description = "directory of Kubernetes manifests (watched for changes)")
        Path manifests;

        @Option(names = "--kubeconfig", paramLabel = "FILE",
                description = "kubeconfig of the cluster (its current context): watch the Kubernetes API server")
        Path kubeconfig;

        @Option(names = "--in-cluster",
                description = "watch the API server of the cluster this runs in as a pod, with the pod's service account (the DaemonSet)")
        boolean inCluster;
    }

    @Option(names = "--api-sync-timeout-seconds", paramLabel = "SECONDS", defaultValue = "60",
            description = "with --kubeconfig or --in-cluster: how long the first list of every kind may take (default: ${DEFAULT-VALUE})")
    long syncTimeoutSeconds;

    @Option(names = "--api-resync-seconds", paramLabel = "SECONDS", defaultValue = "300",
            description = "with --kubeconfig or --in-cluster: the informers' resync period, a replay of their caches; 0 for none (default: ${DEFAULT-VALUE})")
    long resyncSeconds;

    @Option(names = "--netns", description = "make the node's devices in this network namespace (a node per namespace on one machine)")
    String netns;

    @Option(names = "--verbose", description = "log debug lines too")
    boolean verbose;

    @Override
    public Integer call() throws InterruptedException {
        DaemonLog log = new DaemonLog(System.err, verbose);
        NodeDaemon daemon;
        try {
            NodeConfig nodeConfig = NodeConfig.load(config);
            daemon = NodeDaemon.start(nodeConfig, clusterSource(log), netns, log);
        } catch (ConfigException | ManifestException | NetDeviceException | IllegalArgumentException | IllegalStateException e) {
            log.error("gingham run: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("gingham-stop").unstarted(() -> {
            log.info("stopping (signal)");
            daemon.close();
            log.info("stopped");
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }

    private ClusterSource clusterSource(DaemonLog log) {
        if (source.manifests != null) {
            return new ManifestWatcher(source.manifests);
        }
        if (syncTimeoutSeconds < 1 || resyncSeconds < 0) {
            throw new IllegalArgumentException("--api-sync-timeout-seconds must be at least 1 and --api-resync-seconds not negative");
        }
        KubeApiSource.Settings settings = KubeApiSource.Settings.defaults()
                .withSyncTimeout(Duration.ofSeconds(syncTimeoutSeconds))
                .withResyncPeriod(Duration.ofSeconds(resyncSeconds));
        return source.inCluster ? KubeApiSource.inCluster(settings, log) : KubeApiSource.connect(source.kubeconfig, settings, log);
    }
}
