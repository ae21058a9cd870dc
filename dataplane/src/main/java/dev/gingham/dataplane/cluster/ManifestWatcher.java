package dev.gingham.dataplane.cluster;

import dev.gingham.dataplane.k8s.ManifestException;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Hot reload of the manifests directory. A thread of its own waits for changes (a
 * {@link WatchService} on the directory, and a rescan every {@code rescanPeriod} in case events are
 * lost: network file systems, a ConfigMap volume's symlink swap, an overflow), lets a burst of
 * changes settle for {@code debounce} (an editor writes a file in several steps; {@code kubectl cp}
 * copies files one at a time), then reads and checks the whole directory.
 *
 * <p>A valid set that differs from the last one is published into a single-slot mailbox the
 * control thread takes with {@link #poll()} ({@link SetMailbox}: an atomic swap, so the watcher
 * never blocks the control thread and the data path never sees the watcher at all) and reported to
 * the listener. An invalid directory is reported to the listener with every problem, and nothing is
 * published: the control thread keeps applying nothing, and the previous state stays. The same
 * invalid contents are reported once, not on every rescan.
 *
 * <p>{@link #scanNow()} runs one scan on the caller's thread (a daemon without a watcher thread,
 * and tests).
 */
public final class ManifestWatcher implements ClusterSource {
    public static final Duration DEFAULT_DEBOUNCE = Duration.ofMillis(200);
    public static final Duration DEFAULT_RESCAN_PERIOD = Duration.ofSeconds(5);

    private final Path directory;
    private final Duration debounce;
    private final Duration rescanPeriod;
    private final SetMailbox mailbox;
    private final Object scanLock = new Object();
    private volatile boolean running;
    private Thread thread;
    private WatchService watchService;

    /**
     * @param initial the set already applied (its fingerprint is not published again), or null
     */
    public ManifestWatcher(Path directory, Duration debounce, Duration rescanPeriod, Listener listener, ManifestSet initial) {
        this.directory = Objects.requireNonNull(directory);
        this.debounce = debounce;
        this.rescanPeriod = rescanPeriod;
        this.mailbox = new SetMailbox(Objects.requireNonNull(listener));
        mailbox.accepted(initial);
    }

    /** A watcher with the default debounce and rescan period whose listener comes with {@link #start(Listener)} (the daemon). */
    public ManifestWatcher(Path directory) {
        this.directory = Objects.requireNonNull(directory);
        this.debounce = DEFAULT_DEBOUNCE;
        this.rescanPeriod = DEFAULT_RESCAN_PERIOD;
        this.mailbox = new SetMailbox(null);
    }

    /** Reads and checks the directory; its fingerprint is not published again. */
    @Override
    public ManifestSet initial() {
        synchronized (scanLock) {
            ManifestSet set = ManifestSet.load(directory);
            mailbox.accepted(set);
            return set;
        }
    }

    @Override
    public void start(Listener listener) throws IOException {
        mailbox.listener(Objects.requireNonNull(listener));
        start();
    }

    @Override
    public String describe() {
        return "manifests directory " + directory;
    }

    /**
     * Starts the watcher thread ("gingham-manifests", a daemon thread).
     *
     * @throws IOException when the directory cannot be watched
     */
    public synchronized void start() throws IOException {
        if (running) {
            return;
        }
        watchService = FileSystems.getDefault().newWatchService();
        directory.register(watchService, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
        running = true;
        thread = Thread.ofPlatform().name("gingham-manifests").daemon().start(this::run);
    }

    /**
     * Returns: the newest valid set published since the last call, or null. For the control thread:
     * one atomic swap, never blocks.
     */
    @Override
    public ManifestSet poll() {
        return mailbox.poll();
    }

    /**
     * Reads and checks the directory now, on this thread; publishes and reports as the watcher thread would.
     *
     * @return true when a new valid set was published
     */
    public boolean scanNow() {
        synchronized (scanLock) {
            String fingerprint;
            try {
                fingerprint = ManifestSet.fingerprint(directory);
            } catch (ManifestException e) {
                return mailbox.reject(e, "unreadable:" + e.getMessage());
            }
            if (mailbox.unchanged(fingerprint)) {
                return false;
            }
            try {
                return mailbox.publish(ManifestSet.load(directory));
            } catch (ManifestException e) {
                return mailbox.reject(e, fingerprint);
            }
        }
    }

    private void run() {
        while (running) {
            try {
                WatchKey key = watchService.poll(rescanPeriod.toNanos(), TimeUnit.NANOSECONDS);
                if (key != null) {
                    drain(key);
                    // Debounce: wait until no event arrived for a whole debounce period.
                    WatchKey more;
                    while ((more = watchService.poll(debounce.toNanos(), TimeUnit.NANOSECONDS)) != null) {
                        drain(more);
                    }
                }
                scanNow();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (RuntimeException e) {
                // A listener that throws must not stop reloads: the next change is reported again.
                continue;
            }
        }
    }

    private static void drain(WatchKey key) {
        key.pollEvents();
        key.reset();
    }

    /** Stops the watcher thread and waits for it (at most a second); idempotent. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            running = false;
            t = thread;
            thread = null;
        }
        try {
            if (watchService != null) {
                watchService.close();
            }
        } catch (IOException e) {
            // closing only wakes the thread; nothing to recover
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
