package dev.gingham.dataplane.replay;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Filling vectors from a capture: ports by interface name, timestamps and indexes beside the vector, nothing lost. */
class CaptureFeedTest {
    @TempDir
    Path dir;

    private static byte[] frame(int n) {
        return PacketBuilder.udp4("10.0.0.1", 1000 + n, "10.0.0.2", 2000).payload(10).build();
    }

    private static byte[] bytes(FrameVector vector, int i) {
        byte[] bytes = new byte[vector.length(i)];
        MemorySegment.copy(vector.segment(), ValueLayout.JAVA_BYTE, vector.start(i), bytes, 0, bytes.length);
        return bytes;
    }

    @Test
    void shouldMapInterfacesToPortsOnceAndKeepTimestampsWhenFillingVectors() throws IOException {
        Path file = dir.resolve("feed.pcapng");
        int frames = FrameVector.MAX_FRAMES + 44;
        try (PcapngWriter writer = PcapngWriter.create(file, List.of("pod-a", "underlay", "ignored"))) {
            for (int n = 0; n < frames; n++) {
                writer.write(n % 3, frame(n), 1_000L * n);
            }
        }
        Map<String, Integer> portsByName = Map.of("pod-a", 4, "underlay", 9);
        List<String> asked = new ArrayList<>();
        IngressPorts ports = (index, name) -> {
            asked.add(index + ":" + name);
            return portsByName.getOrDefault(name, IngressPorts.SKIP);
        };
        try (BufferPool pool = BufferPool.allocate(2 * FrameVector.MAX_FRAMES, BufferPool.DEFAULT_BUFFER_SIZE);
             CaptureFeed feed = new CaptureFeed(CaptureReader.open(file), ports)) {
            FrameVector vector = new FrameVector(pool);
            List<Long> indexes = new ArrayList<>();
            int total = 0;
            while (!feed.finished()) {
                int added = feed.fill(vector);
                for (int i = 0; i < vector.count(); i++) {
                    long n = feed.frameIndex(i);
                    indexes.add(n);
                    assertEquals(1_000L * n, feed.timestampNs(i));
                    assertEquals(n % 3 == 0 ? 4 : 9, vector.ingressPort(i));
                    assertArrayEquals(frame((int) n), bytes(vector, i));
                }
                total += added;
                vector.releaseAll();
            }
            assertEquals(List.of("0:pod-a", "1:underlay", "2:ignored"), asked, "one question per interface");
            long skipped = java.util.stream.IntStream.range(0, frames).filter(n -> n % 3 == 2).count();
            assertEquals(frames - skipped, total);
            assertEquals(skipped, feed.unmappedFrames());
            assertEquals(total, feed.framesFed());
            assertEquals(total, indexes.size());
            assertEquals(indexes.stream().sorted().toList(), indexes, "capture order kept");
            assertEquals(2 * FrameVector.MAX_FRAMES, pool.available());
        }
    }

    @Test
    void shouldKeepTheFramePendingWhenThePoolRunsOut() throws IOException {
        Path file = dir.resolve("pool.pcap");
        try (PcapWriter writer = PcapWriter.create(file)) {
            for (int n = 0; n < 5; n++) {
                writer.write(frame(n), n);
            }
        }
        try (BufferPool pool = BufferPool.allocate(2, BufferPool.DEFAULT_BUFFER_SIZE);
             CaptureFeed feed = new CaptureFeed(CaptureReader.open(file), (index, name) -> 3)) {
            FrameVector vector = new FrameVector(pool);
            List<Long> seen = new ArrayList<>();
            while (!feed.finished()) {
                feed.fill(vector);
                for (int i = 0; i < vector.count(); i++) {
                    seen.add(feed.frameIndex(i));
                    assertEquals(3, vector.ingressPort(i));
                }
                assertTrue(vector.count() <= 2);
                vector.releaseAll();
            }
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L), seen);
        }
    }

    @Test
    void shouldStopAVectorWhenTheNextFrameIsBeyondTheTimeSpan() throws IOException {
        Path file = dir.resolve("span.pcap");
        long[] times = {0, 400, 999, 1_001, 1_500, 5_000};
        try (PcapWriter writer = PcapWriter.create(file)) {
            for (int n = 0; n < times.length; n++) {
                writer.write(frame(n), times[n]);
            }
        }
        try (BufferPool pool = BufferPool.allocate(16, BufferPool.DEFAULT_BUFFER_SIZE);
             CaptureFeed feed = new CaptureFeed(CaptureReader.open(file), (index, name) -> 1)) {
            FrameVector vector = new FrameVector(pool);
            List<Integer> sizes = new ArrayList<>();
            while (!feed.finished()) {
                sizes.add(feed.fill(vector, 1_000));
                vector.releaseAll();
            }
            assertEquals(List.of(3, 2, 1), sizes, "0..999, then 1001..1500, then 5000 and the end of the file");
        }
    }

    @Test
    void shouldCountAndSkipFramesLongerThanTheBuffers() throws IOException {
        Path file = dir.resolve("long.pcap");
        byte[] jumbo = PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).payload(3000).build();
        try (PcapWriter writer = PcapWriter.create(file)) {
            writer.write(frame(0), 0);
            writer.write(jumbo, 1);
            writer.write(frame(2), 2);
        }
        try (BufferPool pool = BufferPool.allocate(4, BufferPool.DEFAULT_BUFFER_SIZE);
             CaptureFeed feed = new CaptureFeed(CaptureReader.open(file), (index, name) -> 1)) {
            FrameVector vector = new FrameVector(pool);
            assertEquals(2, feed.fill(vector));
            assertEquals(List.of(0L, 2L), List.of(feed.frameIndex(0), feed.frameIndex(1)));
            assertEquals(1, feed.oversizedFrames());
            assertTrue(feed.finished());
            assertFalse(feed.reader().next());
            vector.releaseAll();
        }
    }
}
