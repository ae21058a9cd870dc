package dev.gingham.dataplane.fuzz;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;

import java.lang.foreign.MemorySegment;

/**
 * A numbered, reproducible stream of frames: frame {@code index} is always the same bytes, whatever
 * was generated before it. The fuzz loop fills vectors from a source, and a reproducer regenerates
 * exactly the failing frames from their indexes instead of copying every input in case it fails.
 */
public interface FrameSource {
    /**
     * Writes frame {@code index} at {@code offset} of {@code segment}.
     *
     * @param capacity room at {@code offset}, at least {@link FrameWriter#MIN_CAPACITY}
     * @return the frame's length in bytes
     */
    int write(long index, MemorySegment segment, long offset, int capacity);

    /**
     * Appends frames {@code firstIndex, firstIndex + 1, ...} to the vector, each in a buffer from
     * the vector's pool, arriving on {@code port}; stops early when the vector or the pool is full.
     *
     * @return the number of frames appended
     */
    default int fill(FrameVector vector, long firstIndex, int count, int port) {
        BufferPool pool = vector.pool();
        int added = 0;
        while (added < count && !vector.isFull()) {
            int buffer = pool.acquire();
            if (buffer == BufferPool.NO_BUFFER) {
                break;
            }
            int length = write(firstIndex + added, vector.segment(), pool.dataStart(buffer), pool.maxFrameBytes());
            vector.add(buffer, port, length);
            added++;
        }
        return added;
    }
}
