package dev.gingham.dataplane.daemon;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The daemon's list of the pod devices it made, kept in the pin directory ({@value #FILE_NAME}),
 * so that a restarted daemon knows which devices are its own: a pod deleted while the daemon was
 * down has left a persistent TAP in its namespace, and nothing in the manifests names that
 * namespace any more. One line per pod: its key, its network namespace, the MAC the daemon gave
 * its interface (checked before a leftover is deleted, so a device someone else put there since
 * is left alone) and its addresses (a pod whose address changed gets a new interface).
 *
 * <p>The file is rewritten whole (temporary file, then an atomic rename) on every change: a crash
 * leaves the old list or the new one. While the daemon runs it holds an exclusive lock on
 * {@value #LOCK_NAME}: a second daemon on the same pin directory stops before it touches a device
 * (the maps' own locks would only stop it later, after it had re-attached the first one's TAPs).
 *
 * <p>Control thread only (start-up and the applier's listener).
 */
final class DeviceRecords implements AutoCloseable {
    static final String FILE_NAME = "devices";
    static final String LOCK_NAME = "daemon.lock";
    private static final String HEADER = "# gingham pod devices: pod-key netns mac addresses (rewritten by the daemon;"
            + " delete with the pin directory)";

    /** One pod's device: where it lives, the MAC its interface was given, its addresses (comma-separated). */
    record Entry(String podKey, String netns, long mac, String addresses) {
    }

    private final Path file;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Map<String, Entry> entries;

    private DeviceRecords(Path file, FileChannel lockChannel, FileLock lock, Map<String, Entry> entries) {
        this.file = file;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.entries = entries;
    }

    /**
     * Locks the pin directory for this daemon and reads what the previous one recorded.
     *
     * @throws IllegalStateException when another daemon holds the directory, or the file cannot be read (naming it)
     */
    static DeviceRecords open(Path pinDirectory) {
        FileChannel channel = null;
        try {
            Files.createDirectories(pinDirectory);
            Path lockFile = pinDirectory.resolve(LOCK_NAME);
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new IllegalStateException("pinDirectory " + pinDirectory + " is in use by another Gingham daemon (" + lockFile
                        + " is locked); stop it first, or give this node its own pinDirectory");
            }
            Path file = pinDirectory.resolve(FILE_NAME);
            return new DeviceRecords(file, channel, lock, read(file));
        } catch (IOException e) {
            close(channel);
            throw new UncheckedIOException("pinDirectory " + pinDirectory + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close(channel);
            throw e;
        }
    }

    private static Map<String, Entry> read(Path file) throws IOException {
        Map<String, Entry> entries = new LinkedHashMap<>();
        if (!Files.exists(file)) {
            return entries;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split(" ");
            if (fields.length != 4) {
                throw new IllegalStateException(file + " line " + (n + 1) + ": expected 'pod-key netns mac addresses', got '" + line
                        + "' (delete the file to forget the recorded devices)");
            }
            try {
                entries.put(fields[0], new Entry(fields[0], fields[1], Long.parseUnsignedLong(fields[2], 16), fields[3]));
            } catch (NumberFormatException e) {
                throw new IllegalStateException(file + " line " + (n + 1) + ": mac '" + fields[2] + "' is not hexadecimal", e);
            }
        }
        return entries;
    }

    /** Returns: the recorded devices, by pod key (a copy). */
    Map<String, Entry> entries() {
        return Map.copyOf(entries);
    }

    /** Returns: the record of {@code podKey}, or null. */
    Entry get(String podKey) {
        return entries.get(podKey);
    }

    void put(Entry entry) {
        if (!entry.equals(entries.put(entry.podKey(), entry))) {
            write();
        }
    }

    void remove(String podKey) {
        if (entries.remove(podKey) != null) {
            write();
        }
    }

    private void write() {
        List<String> lines = new ArrayList<>();
        lines.add(HEADER);
        for (Entry e : entries.values()) {
            lines.add(e.podKey() + " " + e.netns() + " " + Long.toHexString(e.mac()) + " " + e.addresses());
        }
        Path temporary = file.resolveSibling(FILE_NAME + ".tmp");
        try {
            Files.write(temporary, lines, StandardCharsets.UTF_8);
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the pod devices in " + file + ": " + e.getMessage(), e);
        }
    }

    /** Releases the pin directory's lock (the list stays for the next start). */
    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException e) {
            // closing the channel releases it as well
        }
        close(lockChannel);
    }

    private static void close(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing left to release
            }
        }
    }
}
