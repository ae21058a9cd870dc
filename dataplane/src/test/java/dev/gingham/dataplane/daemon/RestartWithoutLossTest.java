package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.demo.DemoCluster;
import dev.gingham.dataplane.demo.Namespaces;
import dev.gingham.dataplane.demo.Shell;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.gingham.dataplane.demo.DemoCluster.PODS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Restart without loss: {@code gingham run} with a pin directory as a separate process, two long
 * TCP transfers through it (client pod to the web ClusterIP, client pod to the outside host,
 * masqueraded), {@code kill -9} of the daemon in the middle, a pod deleted from the manifests while
 * it is down, and a second daemon started on the same files. Both transfers must complete without
 * a reset with every byte (SHA-256 on both ends), the service flow on one backend, the masqueraded
 * one from one node port, the pod's TAP the same device (ifindex) and the deleted pod's device
 * gone. Needs root; skips otherwise.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class RestartWithoutLossTest {
    private static final Duration START_LIMIT = Duration.ofSeconds(60);
    private static final Duration TRANSFER_LIMIT = Duration.ofSeconds(120);
    private static final int SINK_PORT = 8080;

    @TempDir
    Path dir;

    @Test
    void shouldCompleteServiceAndSnatTransfersWhenTheDaemonIsKilledAndStartedAgain() throws Exception {
        EndToEnd.assumeKernel();
        DemoCluster cluster = DemoCluster.prepare(EndToEnd.prefix("rst"), dir);
        Path reports = Files.createDirectories(dir.resolve("reports"));
        Path stopFile = dir.resolve("stop");
        Path script = dir.resolve("stream.py");
        List<Process> processes = new ArrayList<>();
        try (cluster; InputStream source = RestartWithoutLossTest.class.getResourceAsStream("stream.py")) {
            Files.write(script, source.readAllBytes());
            cluster.build();
            Files.writeString(cluster.configFile(), "pinDirectory: " + dir.resolve("pins") + "\n", java.nio.file.StandardOpenOption.APPEND);

            Process first = startDaemon(cluster, dir.resolve("run1.log"), processes);
            for (String web : DemoCluster.WEB_PODS) {
                processes.add(inNamespace(cluster.podNamespace(web), "sink", web, Integer.toString(SINK_PORT), reports.toString()));
            }
            processes.add(inNamespace(cluster.externalNamespace(), "sink", "outside", Integer.toString(DemoCluster.EXTERNAL_PORT),
                    reports.toString()));
            for (String web : DemoCluster.WEB_PODS) {
                Namespaces.awaitTcpListener(cluster.podNamespace(web), SINK_PORT);
            }
            Namespaces.awaitTcpListener(cluster.externalNamespace(), DemoCluster.EXTERNAL_PORT);
            String client = cluster.podNamespace("client");
            int ifindexBefore = ifindex(client);

            Process service = inNamespace(client, "send", DemoCluster.WEB_VIP, "80", stopFile.toString());
            Process snat = inNamespace(client, "send", DemoCluster.EXTERNAL_IP, Integer.toString(DemoCluster.EXTERNAL_PORT),
                    stopFile.toString());
            processes.add(service);
            processes.add(snat);
            String serviceDst = DemoCluster.WEB_VIP + ":80";
            String snatDst = DemoCluster.EXTERNAL_IP + ":" + DemoCluster.EXTERNAL_PORT;
            long[] ackedBefore = new long[2];
            ackedBefore[0] = EndToEnd.await(START_LIMIT, () -> ackedBytes(client, serviceDst), n -> n > 20_000);
            ackedBefore[1] = EndToEnd.await(START_LIMIT, () -> ackedBytes(client, snatDst), n -> n > 20_000);
            assertTrue(ackedBefore[0] > 20_000 && ackedBefore[1] > 20_000, "both transfers under way through the first daemon");

            first.destroyForcibly(); // SIGKILL: no shutdown hook, the devices and maps stay as they are
            assertTrue(first.waitFor(10, TimeUnit.SECONDS), "the first daemon died");
            assertTrue(service.isAlive() && snat.isAlive(), "the transfers wait for the node");
            long serviceKilledAt = ackedBytes(client, serviceDst); // nothing more is acknowledged without a daemon
            long snatKilledAt = ackedBytes(client, snatDst);
            String deadLink = Shell.must("ip", "-n", client, "-o", "link", "show", "eth0");
            assertTrue(deadLink.contains("NO-CARRIER"), "the client's TAP outlived the daemon, unattached: " + deadLink);
            Path clusterYaml = cluster.manifestsDirectory().resolve("cluster.yaml");
            String dbPod = DemoCluster.podYaml("db", "db", cluster.podNamespace("db"), PODS.get("db"));
            String manifests = Files.readString(clusterYaml);
            assertTrue(manifests.contains(dbPod), "the db pod's document is in cluster.yaml");
            Files.writeString(clusterYaml, manifests.replace(dbPod, "")); // deleted while the daemon is down
            Thread.sleep(1000); // frames the pods send now are dropped by the kernel: TCP retransmits them

            Path secondLog = dir.resolve("run2.log");
            Process second = startDaemon(cluster, secondLog, processes);
            long serviceAcked = EndToEnd.await(TRANSFER_LIMIT, () -> ackedBytes(client, serviceDst), n -> n > serviceKilledAt + 50_000);
            long snatAcked = EndToEnd.await(TRANSFER_LIMIT, () -> ackedBytes(client, snatDst), n -> n > snatKilledAt + 50_000);
            assertTrue(serviceAcked > serviceKilledAt + 50_000 && snatAcked > snatKilledAt + 50_000, "both transfers go on"
                    + " through the second daemon: acked " + serviceAcked + " and " + snatAcked + " bytes, " + serviceKilledAt
                    + " and " + snatKilledAt + " at the kill");
            Files.writeString(stopFile, "stop\n");
            String serviceResult = finish(service);
            String snatResult = finish(snat);

            String[] sent = expectCompleted("service", serviceResult);
            List<String[]> webReports = reports(reports, "web-");
            assertEquals(1, webReports.size(), "one connection reached the backends: " + describe(webReports));
            String[] backend = webReports.getFirst();
            assertEquals(sent[0], backend[3], "the one backend (" + backend[0] + ") got every byte");
            assertEquals(sent[1], backend[4], "and the same bytes");
            assertEquals(PODS.get("client"), backend[1], "the backend saw the client");

            String[] sentOut = expectCompleted("masqueraded", snatResult);
            List<String[]> outside = reports(reports, "outside-");
            assertEquals(1, outside.size(), "the outside saw one connection from one source port: " + describe(outside));
            assertEquals(DemoCluster.NODE_IP, outside.getFirst()[1], "masqueraded to the node address");
            assertEquals(sentOut[0], outside.getFirst()[3]);
            assertEquals(sentOut[1], outside.getFirst()[4]);

            assertEquals(ifindexBefore, ifindex(client), "the client's TAP is the device the first daemon made");
            String log = EndToEnd.read(secondLog);
            assertTrue(log.contains("re-attached eth0"), log);
            assertTrue(log.contains("1 device(s) of deleted pods deleted"), log);
            Shell.Result db = Shell.run(EndToEnd.COMMAND_TIMEOUT, "ip", "-n", cluster.podNamespace("db"), "link", "show", "eth0");
            assertTrue(db.output().contains("does not exist"), "the deleted pod's TAP is gone: " + db.output());

            second.destroy(); // SIGTERM, restart.keepDevices off: the devices go
            assertTrue(second.waitFor(15, TimeUnit.SECONDS), "stopped: " + EndToEnd.read(secondLog));
            Shell.Result gone = Shell.run(EndToEnd.COMMAND_TIMEOUT, "ip", "-n", client, "link", "show", "eth0");
            assertTrue(gone.output().contains("does not exist"), "a normal stop deletes the persistent TAP: " + gone.output());
        } finally {
            for (Process p : processes) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
            System.out.print(EndToEnd.read(dir.resolve("run1.log")) + EndToEnd.read(dir.resolve("run2.log")));
        }
    }

    private static Process startDaemon(DemoCluster cluster, Path log, List<Process> processes) throws Exception {
        Process daemon = new ProcessBuilder(EndToEnd.daemonCommand(cluster)).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        processes.add(daemon);
        String started = EndToEnd.await(START_LIMIT, () -> EndToEnd.read(log),
                text -> text.contains("INFO running:") || !daemon.isAlive());
        assertTrue(started.contains("INFO running:"), "the daemon started: " + started);
        return daemon;
    }

    private Process inNamespace(String netns, String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", netns, "python3", dir.resolve("stream.py").toString()));
        command.addAll(List.of(arguments));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /** Returns: what a client printed, once it exited (killed after the limit). */
    private static String finish(Process client) throws InterruptedException, IOException {
        if (!client.waitFor(TRANSFER_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
            client.destroyForcibly();
            return "TIMEOUT " + new String(client.getInputStream().readNBytes(4096), StandardCharsets.UTF_8);
        }
        return new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    }

    /** Returns: {bytes, sha} the client sent, after checking the server's reply names the same. */
    private static String[] expectCompleted(String what, String result) {
        String[] f = result.split(" ");
        assertTrue(f.length == 6 && f[0].equals("sent") && f[3].equals("reply"), what + " transfer completed: " + result);
        assertEquals(f[1] + " " + f[2], f[4] + " " + f[5], what + ": the server received what was sent");
        return new String[] {f[1], f[2]};
    }

    private static List<String[]> reports(Path directory, String prefix) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            List<String[]> found = new ArrayList<>();
            for (Path file : files.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList()) {
                found.add(Files.readString(file).strip().split(" "));
            }
            return found;
        }
    }

    private static String describe(List<String[]> reports) {
        return reports.stream().map(r -> String.join(" ", r)).toList().toString();
    }

    /** Returns: bytes_acked of the client's connection to {@code destination} (ss), or -1 when there is none. */
    private static long ackedBytes(String netns, String destination) {
        String out = Shell.run(EndToEnd.COMMAND_TIMEOUT, "ip", "netns", "exec", netns, "ss", "-tniH", "state", "established",
                "dst", destination).output();
        int at = out.indexOf("bytes_acked:");
        if (at < 0) {
            return -1;
        }
        int end = at + "bytes_acked:".length();
        while (end < out.length() && Character.isDigit(out.charAt(end))) {
            end++;
        }
        return Long.parseLong(out.substring(at + "bytes_acked:".length(), end));
    }

    private static int ifindex(String netns) {
        String line = Shell.must("ip", "-n", netns, "-o", "link", "show", "eth0");
        return Integer.parseInt(line.substring(0, line.indexOf(':')).strip());
    }
}
