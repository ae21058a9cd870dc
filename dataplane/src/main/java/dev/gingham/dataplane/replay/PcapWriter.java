package dev.gingham.dataplane.replay;

import dev.gingham.packet.FrameVector;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Writes a classic pcap file: what tcpdump, Wireshark and every capture tool read.
 *
 * <p>Choices (fixed, so the same frames always give the same bytes): little-endian, version
 * 2.4, thiszone 0, sigfigs 0, snap length {@value #SNAP_LENGTH}, link type Ethernet. Nanosecond
 * timestamps (magic a1b23c4d) by default, because Gingham's clock is in nanoseconds and a replay
 * must write back exactly the timestamps it read; {@link Resolution#MICROSECONDS} (magic
 * a1b2c3d4, sub-microsecond digits dropped) for tools that predate nanosecond pcap.
 *
 * <p>Frames are copied from pool memory into a 1 MiB buffer: nothing is allocated per frame.
 * One writer belongs to one thread.
 */
public final class PcapWriter extends CaptureWriter {
    /** The unit of the fractional part of a timestamp. */
    public enum Resolution {
        /** Magic a1b2c3d4: microseconds. */
        MICROSECONDS(CaptureReader.PCAP_MICRO_LE, 1000),
        /** Magic a1b23c4d: nanoseconds. */
        NANOSECONDS(CaptureReader.PCAP_NANO_LE, 1);

        private final int magic;
        private final int unitNs;

        Resolution(int magic, int unitNs) {
            this.magic = magic;
            this.unitNs = unitNs;
        }
    }

    private final Resolution resolution;
    /** The second of the last record's timestamp and its start: records within one second need no division. */
    private long second;
    private long secondStartNs;

    private PcapWriter(Path file, Resolution resolution) throws IOException {
        super(file);
        this.resolution = resolution;
        out.u32(resolution.magic);
        out.u16(PcapReader.VERSION_MAJOR);
        out.u16(4);
        out.u32(0);
        out.u32(0);
        out.u32(SNAP_LENGTH);
        out.u32(LinkTypes.ETHERNET);
    }

    /** Creates (or truncates) a nanosecond pcap file. */
    public static PcapWriter create(Path file) throws IOException {
        return new PcapWriter(file, Resolution.NANOSECONDS);
    }

    /** Creates (or truncates) a pcap file with the given timestamp resolution. */
    public static PcapWriter create(Path file, Resolution resolution) throws IOException {
        return new PcapWriter(file, resolution);
    }

    /**
     * Appends a frame of {@code length} bytes at {@code offset} in {@code segment}, captured whole.
     *
     * @param timestampNs nanoseconds since the epoch (the replay's virtual clock)
     */
    public void write(MemorySegment segment, long offset, int length, long timestampNs) throws IOException {
        checkLength(length);
        out.reserve(PcapReader.RECORD_HEADER_LENGTH + length);
        long sinceSecondNs = timestampNs - secondStartNs;
        if (timestampNs < secondStartNs || Long.compareUnsigned(sinceSecondNs, 1_000_000_000L) >= 0) {
            second = Math.floorDiv(timestampNs, 1_000_000_000L);
            secondStartNs = second * 1_000_000_000L;
            sinceSecondNs = timestampNs - secondStartNs;
        }
        // little-endian: the seconds then the fraction, the captured then the original length
        out.u64((long) ((int) sinceSecondNs / resolution.unitNs) << 32 | (second & 0xFFFF_FFFFL));
        out.u64((long) length << 32 | length);
        out.frame(segment, offset, length, 1);
        counted();
    }

    /** Appends frame {@code i} of the vector as it is now (after the pipeline rewrote it). */
    public void write(FrameVector vector, int i, long timestampNs) throws IOException {
        write(vector.segment(), vector.start(i), vector.length(i), timestampNs);
    }

    /** Appends a frame held in a byte array (tests, reproducers; the hot path writes from pool memory). */
    public void write(byte[] frame, long timestampNs) throws IOException {
        write(MemorySegment.ofArray(frame), 0, frame.length, timestampNs);
    }
}
