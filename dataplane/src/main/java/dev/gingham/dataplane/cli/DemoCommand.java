package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.daemon.DaemonLog;
import dev.gingham.dataplane.demo.DemoCluster;
import dev.gingham.dataplane.demo.DemoRequirements;
import dev.gingham.dataplane.demo.DemoTour;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * {@code gingham demo}: builds a one-node cluster in network namespaces ({@link DemoCluster}),
 * walks through it with real tools ({@link DemoTour}) and removes everything again: when it ends,
 * when it fails, and on Ctrl-C (a shutdown hook). {@code --keep} leaves the cluster up until
 * Ctrl-C. Exit code 0 when every step did what it should, 1 otherwise (or when the machine lacks
 * what the demo needs: it says what, before creating anything).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Build a small cluster in network namespaces, show traffic through Gingham with real tools, remove it.")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--keep", description = "keep the cluster up after the tour, until Ctrl-C")
    boolean keep;

    @Option(names = "--requests", defaultValue = "15", description = "HTTP requests through the ClusterIP (default ${DEFAULT-VALUE})")
    int requests;

    @Option(names = "--verbose", description = "print the daemon's log as it happens (otherwise it goes to daemon.log)")
    boolean verbose;

    /** Namespace prefix: "gdemo" for users; tests give their own so they can run beside a user's demo. */
    @Option(names = "--prefix", defaultValue = "gdemo", hidden = true)
    String prefix;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (requests < 1) {
            out.println("gingham demo: --requests must be at least 1");
            return 2;
        }
        List<String> missing = DemoRequirements.missing();
        if (!missing.isEmpty()) {
            out.println("gingham demo cannot run here; it needs:");
            missing.forEach(m -> out.println("  - " + m));
            return 1;
        }
        Path lockFile = Path.of(System.getProperty("java.io.tmpdir"), "gingham-demo-" + prefix + ".lock");
        try (FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockChannel.tryLock()) {
            if (lock == null) {
                out.println("gingham demo: another demo is running (it holds " + lockFile + " and the namespaces "
                        + prefix + "-*); stop it first");
                return 1;
            }
            return runDemo();
        }
    }

    private int runDemo() throws IOException, InterruptedException {
        long startNs = System.nanoTime();
        Path dir = Files.createTempDirectory("gingham-demo");
        Path logFile = dir.resolve("daemon.log");
        PrintStream logStream = verbose ? System.err : new PrintStream(new FileOutputStream(logFile.toFile()), true, StandardCharsets.UTF_8);
        DemoCluster cluster = DemoCluster.prepare(prefix, dir);
        Cleanup cleanup = new Cleanup(cluster, dir, logStream);
        Thread hook = Thread.ofPlatform().name("gingham-demo-cleanup").unstarted(() -> {
            out.println();
            out.println("Stopping (signal): removing the demo's namespaces, devices and files...");
            cleanup.run();
            out.println("Removed.");
        });
        Runtime.getRuntime().addShutdownHook(hook);
        boolean ok = false;
        try {
            out.println("Building the demo cluster (namespaces " + prefix + "-*, files in " + dir + ")...");
            cluster.start(new DaemonLog(logStream, true));
            cluster.startServers();
            out.printf("Ready in %.1f s: the Gingham daemon runs, the pods' servers listen.%n", (System.nanoTime() - startNs) / 1e9);
            out.println();
            DemoTour tour = new DemoTour(cluster, out, requests);
            ok = tour.run();
            tour.whereThingsAre(keep);
            if (!ok && !verbose) {
                printLog(logFile);
            }
            if (keep) {
                new CountDownLatch(1).await(); // until Ctrl-C: the hook removes everything
            }
        } catch (RuntimeException e) {
            out.println("gingham demo failed: " + e.getMessage());
            if (!verbose) {
                printLog(logFile);
            }
            return 1;
        } finally {
            cleanup.run();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run: it cleaned up
            }
        }
        out.println();
        out.printf("%s in %.1f s; everything the demo created is removed.%n",
                ok ? "Every step did what it should" : "Some steps did NOT do what they should (see above)",
                (System.nanoTime() - startNs) / 1e9);
        return ok ? 0 : 1;
    }

    private void printLog(Path logFile) {
        try {
            out.println("The daemon's log:");
            Files.readAllLines(logFile).forEach(l -> out.println("  " + l));
        } catch (IOException e) {
            out.println("(the daemon's log " + logFile + " is unreadable: " + e.getMessage() + ")");
        }
    }

    /** Removes the cluster and the temporary directory once, whoever asks first (the end of the run or the hook). */
    private static final class Cleanup implements Runnable {
        private final DemoCluster cluster;
        private final Path dir;
        private final PrintStream log;
        private boolean done;

        Cleanup(DemoCluster cluster, Path dir, PrintStream log) {
            this.cluster = cluster;
            this.dir = dir;
            this.log = log;
        }

        @Override
        public synchronized void run() {
            if (done) {
                return;
            }
            done = true;
            cluster.close();
            if (log != System.err) {
                log.close();
            }
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                System.err.println("gingham demo: could not delete " + dir + ": " + e.getMessage());
            }
        }
    }
}
