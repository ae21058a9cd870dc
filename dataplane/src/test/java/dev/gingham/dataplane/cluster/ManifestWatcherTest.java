package dev.gingham.dataplane.cluster;

import dev.gingham.dataplane.k8s.ManifestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hot reload against a real temporary directory; every wait is bounded. */
@Timeout(30)
class ManifestWatcherTest {
    private static final long WAIT_SECONDS = 10;

    /** Records what the watcher reports, for the test thread to wait on. */
    private static final class Events implements ManifestWatcher.Listener {
        final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();

        @Override
        public void loaded(ManifestSet set) {
            queue.add(set);
        }

        @Override
        public void rejected(ManifestException problems) {
            queue.add(problems);
        }

        Object next() throws InterruptedException {
            Object event = queue.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(event, "no reload reported within " + WAIT_SECONDS + " s");
            return event;
        }
    }

    private static void write(Path dir, Map<String, String> files) throws Exception {
        for (Map.Entry<String, String> file : files.entrySet()) {
            Files.writeString(dir.resolve(file.getKey()), file.getValue());
        }
    }

    @Test
    void shouldPublishAChangedDirectoryAndKeepThePreviousSetWhenAFileTurnsBad(@TempDir Path dir) throws Exception {
        write(dir, ShopCluster.files());
        ManifestSet initial = ManifestSet.load(dir);
        Events events = new Events();
        try (ManifestWatcher watcher = new ManifestWatcher(dir, Duration.ofMillis(50), Duration.ofSeconds(5), events, initial)) {
            watcher.start();

            // a valid change: one service more
            Files.writeString(dir.resolve("api.yaml"), """
                    apiVersion: v1
                    kind: Service
                    metadata: {name: api, namespace: shop}
                    spec: {clusterIP: 10.96.0.60, ports: [{port: 80}]}
                    """);
            ManifestSet loaded = (ManifestSet) events.next();
            assertEquals(List.of("shop/api", "kube-system/kube-dns", "shop/web"), loaded.services().stream().map(s -> s.key()).toList());
            assertEquals(loaded, watcher.poll(), "handed to the control thread");
            assertNull(watcher.poll(), "once");

            // a bad file: rejected with file, object and field; nothing published
            Files.writeString(dir.resolve("api.yaml"), """
                    apiVersion: v1
                    kind: Service
                    metadata: {name: api, namespace: shop}
                    spec: {clusterIP: 10.96.0.60, ports: [{port: 80, targetport: 8080}]}
                    """);
            ManifestException rejected = (ManifestException) events.next();
            assertEquals("api.yaml: document 1 (line 1): Service shop/api: spec.ports[0].targetport: unknown field (did you mean "
                    + "targetPort?); expected one of appProtocol, name, nodePort, port, protocol, targetPort", rejected.getMessage());
            assertNull(watcher.poll(), "the previous set stays the newest");

            // fixed: published again
            Files.delete(dir.resolve("api.yaml"));
            ManifestSet fixed = (ManifestSet) events.next();
            assertEquals(initial.fingerprint(), fixed.fingerprint());
            assertEquals(fixed, watcher.poll());
        }
    }

    @Test
    void shouldReloadOnceWhenABurstOfWritesSettles(@TempDir Path dir) throws Exception {
        write(dir, ShopCluster.files());
        Events events = new Events();
        try (ManifestWatcher watcher = new ManifestWatcher(dir, Duration.ofMillis(300), Duration.ofSeconds(5), events,
                ManifestSet.load(dir))) {
            watcher.start();
            // kubectl cp style: files arrive one at a time, faster than the debounce period
            for (int i = 0; i < 5; i++) {
                Files.writeString(dir.resolve("ns-" + i + ".yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-" + i + "}\n");
                Thread.sleep(30);
            }
            ManifestSet loaded = (ManifestSet) events.next();
            assertEquals(7, loaded.namespaces().size(), "all five arrived in one reload");
            assertNull(events.queue.poll(600, TimeUnit.MILLISECONDS), "and only one");
        }
    }

    @Test
    void shouldFindAChangeByRescanningWhenNoEventArrives(@TempDir Path dir) throws Exception {
        write(dir, ShopCluster.files());
        Events events = new Events();
        ManifestWatcher watcher = new ManifestWatcher(dir, Duration.ofMillis(50), Duration.ofMillis(100), events, ManifestSet.load(dir));
        // not started: scanNow is what the rescan and a watcher-less daemon run
        assertFalse(watcher.scanNow(), "nothing changed");
        Files.writeString(dir.resolve("policy.yaml"), "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                + "metadata: {name: deny-all, namespace: shop}\nspec: {podSelector: {}}\n");
        assertTrue(watcher.scanNow());
        ManifestSet set = watcher.poll();
        assertEquals("shop/deny-all", set.networkPolicies().getFirst().key());
        assertEquals(set, events.queue.poll());

        Files.writeString(dir.resolve("policy.yaml"), "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n");
        assertFalse(watcher.scanNow());
        assertTrue(events.queue.poll() instanceof ManifestException);
        assertFalse(watcher.scanNow(), "the same bad contents again");
        assertNull(events.queue.poll(), "are reported once");
        watcher.close();
    }
}
