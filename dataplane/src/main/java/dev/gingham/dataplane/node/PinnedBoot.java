package dev.gingham.dataplane.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Ties a pin directory's maps to one boot of the machine. Pinned maps are there to carry
 * connections across a restart of the daemon; after a reboot no connection is left to carry, and
 * conntrack's and affinity's times are monotonic clock values, which start again near zero at
 * boot: an entry written late in the previous boot would look hours or days from expiry, and keep
 * its SNAT port that long. Cilium's maps live in bpffs, which a reboot empties; on tmpfs
 * ({@code /run}) ours are emptied the same way, and this class does it for a pin directory on disk.
 *
 * <p>The directory holds the kernel's boot id ({@code /proc/sys/kernel/random/boot_id}, new at
 * every boot) in {@value #STAMP_FILE}. A start whose boot id differs deletes the pinned maps
 * before they are opened, so the node starts with empty maps, as after a reboot with bpffs. A
 * directory without a stamp (new, or written by a version without one) keeps its maps: a daemon
 * upgrade must not lose the connections a restart keeps. The CNI plugin's address allocations
 * and the device records are not maps and stay (the container runtime releases addresses with
 * DEL; device records of devices that are gone are harmless).
 *
 * <p>Runs in the daemon's start, under the pin directory's lock, before any map is opened.
 */
final class PinnedBoot {
    /** The stamp file in the pin directory. */
    static final String STAMP_FILE = "boot-id";
    private static final Path KERNEL_BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

    private PinnedBoot() {
    }

    /** Returns: this boot's id, or "" when the kernel does not say (then stamps are never compared). */
    static String currentBootId() {
        try {
            return Files.readString(KERNEL_BOOT_ID, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * Deletes the pinned maps {@code entries} of {@code pinDirectory} when its stamp names another
     * boot than {@code bootId}, then stamps the directory with {@code bootId}.
     *
     * @return what was done, for the start-up log: null when the maps are kept
     * @throws UncheckedIOException naming the file when the directory cannot be read or written
     */
    static String prepare(Path pinDirectory, String bootId, List<String> entries) {
        if (bootId.isEmpty()) {
            return null;
        }
        Path stamp = pinDirectory.resolve(STAMP_FILE);
        String stamped = readStamp(stamp);
        String done = null;
        if (stamped != null && !stamped.equals(bootId)) {
            int deleted = 0;
            for (String entry : entries) {
                deleted += deleteTree(pinDirectory.resolve(entry));
            }
            done = "pin directory " + pinDirectory + " is from an earlier boot (boot id " + stamped
                    + "): its maps were discarded (" + deleted + " file(s)); the node starts with empty maps";
        }
        if (!bootId.equals(stamped)) {
            writeStamp(pinDirectory, stamp, bootId);
        }
        return done;
    }

    private static String readStamp(Path stamp) {
        try {
            return Files.readString(stamp, StandardCharsets.US_ASCII).strip();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + stamp + ": " + e.getMessage(), e);
        }
    }

    /** Written to a temporary file and moved over the stamp, so a crash leaves the old stamp or the new one. */
    private static void writeStamp(Path pinDirectory, Path stamp, String bootId) {
        try {
            Files.createDirectories(pinDirectory);
            Path temporary = pinDirectory.resolve(STAMP_FILE + ".tmp");
            Files.writeString(temporary, bootId + "\n", StandardCharsets.US_ASCII);
            Files.move(temporary, stamp, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + stamp + ": " + e.getMessage(), e);
        }
    }

    /** Deletes a file or a directory with its contents. Returns: the number of files deleted. */
    private static int deleteTree(Path root) {
        if (!Files.exists(root)) {
            return 0;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            int files = 0;
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                if (!Files.isDirectory(path)) {
                    files++;
                }
                Files.delete(path);
            }
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root + ": " + e.getMessage(), e);
        }
    }
}
