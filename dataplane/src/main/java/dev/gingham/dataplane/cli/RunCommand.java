package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.config.ConfigException;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.daemon.DaemonLog;
import dev.gingham.dataplane.daemon.NodeDaemon;
import dev.gingham.dataplane.k8s.ManifestException;
import dev.gingham.tap.NetDeviceException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code gingham run}: the node daemon in the foreground until SIGTERM or Ctrl-C (then a graceful
 * stop: devices deleted unless restart.keepDevices, pinned maps kept). Start-up problems
 * (configuration, manifests, devices, permissions) end it at once with one clear line and exit
 * code 1.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the node daemon: pods' TAP devices, the pipeline, hot reload of the manifests directory.")
public final class RunCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "the node configuration (YAML)")
    Path config;

    @Option(names = "--manifests", required = true, description = "directory of Kubernetes manifests (watched for changes)")
    Path manifests;

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
            daemon = NodeDaemon.start(nodeConfig, manifests, netns, log);
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
}
