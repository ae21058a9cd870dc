package dev.gingham.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BufferPoolTest {
    @Test
    void shouldHandOutEveryBufferOnceThenNoBufferWhenExhausted() {
        try (BufferPool pool = BufferPool.allocate(4, BufferPool.DEFAULT_BUFFER_SIZE)) {
            Set<Integer> seen = new HashSet<>();
            for (int k = 0; k < 4; k++) {
                int buffer = pool.acquire();
                assertEquals(k, buffer, "buffer 0 first, then in order");
                assertTrue(pool.inUse(buffer));
                assertTrue(seen.add(buffer));
                assertEquals(3 - k, pool.available());
            }
            assertEquals(BufferPool.NO_BUFFER, pool.acquire());
            assertEquals(BufferPool.NO_BUFFER, pool.acquire(), "still exhausted, nothing changed");
            assertEquals(0, pool.available());
            pool.release(2);
            assertFalse(pool.inUse(2));
            assertEquals(1, pool.available());
            assertEquals(2, pool.acquire(), "a released buffer is reused");
        }
    }

    @Test
    void shouldThrowWhenABufferIsReleasedTwiceOrNeverAcquired() {
        try (BufferPool pool = BufferPool.allocate(2, BufferPool.DEFAULT_BUFFER_SIZE)) {
            int buffer = pool.acquire();
            pool.release(buffer);
            assertThrows(IllegalStateException.class, () -> pool.release(buffer), "double release");
            assertThrows(IllegalStateException.class, () -> pool.release(1), "never acquired");
            assertThrows(IllegalStateException.class, () -> pool.release(-1));
            assertThrows(IllegalStateException.class, () -> pool.release(2));
            assertEquals(2, pool.available(), "a refused release changes nothing");
        }
    }

    @Test
    void shouldLayOutBuffersWithHeadroomAndAlignedIpWhenAllocated() {
        try (BufferPool pool = BufferPool.allocate(3, BufferPool.DEFAULT_BUFFER_SIZE)) {
            assertEquals(3L * 2048, pool.segment().byteSize());
            assertEquals(0, pool.segment().address() % 4096, "page aligned");
            assertEquals(2048, pool.base(1));
            assertEquals(2048 + 256 + 2, pool.dataStart(1));
            assertEquals(0, (pool.segment().address() + pool.dataStart(2) + 14) % 16, "IP header 16-byte aligned");
            assertEquals(2048 - 258, pool.maxFrameBytes());
            assertEquals(1, pool.bufferOf(pool.dataStart(1)));
            assertEquals(1, pool.bufferOf(pool.base(2) - 1));
            assertEquals(2, pool.bufferOf(pool.base(2)));
            assertEquals(3, pool.bufferCount());
            assertEquals(2048, pool.bufferSize());
        }
        try (BufferPool jumbo = BufferPool.allocate(1, BufferPool.JUMBO_BUFFER_SIZE)) {
            assertEquals(9278, jumbo.maxFrameBytes());
        }
    }

    @Test
    void shouldRefuseSizesWhenNotAMultipleOf64OrTooSmall() {
        assertThrows(IllegalArgumentException.class, () -> BufferPool.allocate(0, BufferPool.DEFAULT_BUFFER_SIZE));
        assertThrows(IllegalArgumentException.class, () -> BufferPool.allocate(1, 2000));
        assertThrows(IllegalArgumentException.class, () -> BufferPool.allocate(1, 256));
        assertThrows(IllegalArgumentException.class, () -> BufferPool.allocate(1, 320), "below DATA_OFFSET + 64");
        BufferPool.allocate(1, 384).close();
    }
}
