package dev.gingham.dataplane.fuzz;

import dev.gingham.dataplane.replay.PcapngWriter;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes what a developer needs to reproduce a fuzz failure: the failing vector's input frames as
 * a pcapng (regenerated from the seed and their indexes, since a {@link FrameSource} is
 * deterministic, so the fuzz loop never copies inputs just in case), stamped with the fuzz run's
 * virtual clock and named after their ingress port, so {@code gingham replay} feeds them back
 * exactly; and a text file with the seed, the frame indexes, the failure and the command that
 * reruns the fuzz from that seed.
 *
 * <p>Pipeline state (conntrack, NAT) built by the frames before the failing vector is not in the
 * capture: the text file says so, and the seed reproduces it all.
 */
public final class ReproducerWriter {
    private final Path directory;

    public ReproducerWriter(Path directory) {
        this.directory = directory;
    }

    /**
     * Writes {@code gingham-fuzz-<seed>-<firstIndex>.pcapng} and {@code .txt} into the directory.
     *
     * @param portName the ingress port's name (the pcapng interface name)
     * @param rerun    the command line that reruns the fuzz with this seed
     * @return the capture's path
     */
    public Path write(FrameSource source, long seed, long firstIndex, int count, String portName, String failure,
                      String rerun) throws IOException {
        Files.createDirectories(directory);
        String base = "gingham-fuzz-" + Long.toUnsignedString(seed) + "-" + firstIndex;
        Path capture = directory.resolve(base + ".pcapng");
        try (Arena arena = Arena.ofConfined(); PcapngWriter writer = PcapngWriter.create(capture, List.of(portName))) {
            int capacity = 66 * 1024;
            MemorySegment scratch = arena.allocate(capacity);
            for (long index = firstIndex; index < firstIndex + count; index++) {
                int length = source.write(index, scratch, 0, capacity);
                writer.write(0, scratch, 0, length, FuzzRun.timestampNs(index));
            }
        }
        Files.writeString(directory.resolve(base + ".txt"), String.join("\n",
                "failure: " + failure,
                "seed: " + Long.toUnsignedString(seed),
                "frames: " + firstIndex + ".." + (firstIndex + count - 1) + " (" + count + " frames in " + capture.getFileName()
                        + ", ingress port " + portName + ", timestamps = fuzz clock " + FuzzRun.START_NS + " + index * "
                        + FuzzRun.FRAME_INTERVAL_NS + " ns)",
                "state: the frames before " + firstIndex + " built the pipeline's state; rerun the seed to rebuild it",
                "rerun: " + rerun, ""));
        return capture;
    }
}
