package dev.gingham.jmh.replay;

import dev.gingham.packet.PacketBuilder;

/**
 * The frames the capture benchmarks read and write: all 64 bytes (the per-frame cost), or IMIX,
 * 7:4:1 of 64, 594 and 1518 bytes (average 353: the copy cost). UDP, so every size is one frame.
 */
final class BenchFrames {
    private static final int[] IMIX = {64, 64, 64, 64, 64, 64, 64, 594, 594, 594, 594, 1518};
    private static final int HEADERS = 42;

    private BenchFrames() {
    }

    /** Returns: the frames of one cycle of the mix named by the benchmarks' {@code size} parameter ("64" or "imix"). */
    static byte[][] of(String size) {
        int[] sizes = size.equals("imix") ? IMIX : new int[] {64};
        byte[][] frames = new byte[sizes.length][];
        for (int k = 0; k < sizes.length; k++) {
            frames[k] = PacketBuilder.udp4("10.0.0.1", 1000, "10.0.0.2", 2000).payload(sizes[k] - HEADERS).build();
        }
        return frames;
    }
}
