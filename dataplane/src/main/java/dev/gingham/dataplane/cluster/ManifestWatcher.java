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
import java.util.concurrent.atomic.AtomicReference;

/**
 * Hot reload of the manifests directory. A thread of its own waits for changes (a
 * {@link WatchService} on the directory, and a rescan every {@code rescanPeriod} in case events are
 * lost: network file systems, a ConfigMap volume's symlink swap, an overflow), lets a burst of
 * changes settle for {@code debounce} (an editor writes a file in several steps; {@code kubectl cp}
 * copies files one at a time), then reads and checks the whole directory.
 *
 * <p>A valid set that differs from the last one is published into a single-slot mailbox the
 * control thread takes with {@link #poll()} (an atomic swap: the watcher never blocks the control
 * thread and the data path never sees the watcher at all) and reported to the listener. An
 * invalid directory is reported to the listener with every problem, and nothing is published: the
 * control thread keeps applying nothing, and the previous state stays. The same invalid contents
 * are reported once, not on every rescan.
 *
 * <p>{@link #scanNow()} runs one scan on the caller's thread (a daemon without a watcher thread,
 * and tests).
 */
public final class ManifestWatcher implements AutoCloseable {
    public static final Duration DEFAULT_DEBOUNCE = Duration.ofMillis(200);
    public static final Duration DEFAULT_RESCAN_PERIOD = Duration.ofSeconds(5);

    /** What the watcher reports; called on the watcher's thread (or {@link #scanNow()}'s caller). */
    public interface Listener {
        /** A valid set that differs from the previous one was published for {@link #poll()}. */
        void loaded(ManifestSet set);

        /** The directory's contents are invalid; nothing was published. */
        void rejected(ManifestException problems);
    }

    private final Path directory;
    private final Duration debounce;
    private final Duration rescanPeriod;
    private final Listener listener;
    private final AtomicReference<ManifestSet> mailbox = new AtomicReference<>();
    private final Object scanLock = new Object();
    private volatile boolean running;
    private Thread thread;
    private WatchService watchService;
    private String lastFingerprint;

    /**
     * @param initial the set already applied (its fingerprint is not published again), or null
     */
    public ManifestWatcher(Path directory, Duration debounce, Duration rescanPeriod, Listener listener, ManifestSet initial) {
        this.directory = Objects.requireNonNull(directory);
        this.debounce = debounce;
        this.rescanPeriod = rescanPeriod;
        this.listener = Objects.requireNonNull(listener);
        this.lastFingerprint = initial == null ? null : initial.fingerprint();
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
    public ManifestSet poll() {
        return mailbox.getAndSet(null);
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
                return report(e, "unreadable:" + e.getMessage());
            }
            if (fingerprint.equals(lastFingerprint)) {
                return false;
            }
            ManifestSet set;
            try {
                set = ManifestSet.load(directory);
            } catch (ManifestException e) {
                return report(e, fingerprint);
            }
            lastFingerprint = set.fingerprint();
            mailbox.set(set);
            listener.loaded(set);
            return true;
        }
    }

    private boolean report(ManifestException e, String fingerprint) {
        if (!fingerprint.equals(lastFingerprint)) {
            lastFingerprint = fingerprint;
            listener.rejected(e);
        }
        return false;
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

    /** Stops the watcher thread and waits for it (at most a second). */
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
