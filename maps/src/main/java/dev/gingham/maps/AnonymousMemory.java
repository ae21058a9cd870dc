package dev.gingham.maps;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Zeroed off-heap memory for unpinned maps, backed by transparent huge pages where the kernel
 * allows them.
 *
 * <p>Why: a 1M-entry hash map spans about 48 MiB. With 4 KiB pages a random lookup misses the
 * TLB as well as the cache, and the page walk costs as much as the cache miss itself; with 2 MiB
 * pages the whole table needs 24 TLB entries. The JVM heap gets huge pages only with
 * {@code -XX:+UseTransparentHugePages}; {@code Arena.allocate} (malloc) never does, and it zeroes
 * the memory at once, faulting in 4 KiB pages before any advice could apply. So large regions are
 * taken straight from {@code mmap} (already zero, not yet faulted), advised with
 * {@code madvise(MADV_HUGEPAGE)} (which works under the common THP setting {@code madvise}), and
 * unmapped when the arena closes. Small regions, a failed mmap, or a platform without these calls
 * fall back to {@code Arena.allocate}; huge pages are an optimisation, never a requirement.
 * {@code -Dgingham.maps.hugePages=false} turns them off (for A/B measurements).
 */
final class AnonymousMemory {
    /** Regions from this size up are worth a huge-page mapping. */
    static final long HUGE_PAGE = 2L << 20;

    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;
    private static final long MAP_FAILED = -1L;

    private static final MethodHandle MMAP;
    private static final MethodHandle MADVISE;
    private static final MethodHandle MUNMAP;

    static {
        MethodHandle mmap = null;
        MethodHandle madvise = null;
        MethodHandle munmap = null;
        try {
            if (enabled(System.getProperty("os.name", ""), System.getProperty("gingham.maps.hugePages"))) {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
                munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            }
        } catch (RuntimeException | LinkageError e) {
            mmap = null; // no native access here: plain allocation still works
        }
        MMAP = mmap;
        MADVISE = madvise;
        MUNMAP = munmap;
    }

    private AnonymousMemory() {
    }

    /**
     * Returns: whether this JVM maps memory itself: on Linux, unless the system property
     * {@code gingham.maps.hugePages} (given here as {@code hugePagesProperty}) is {@code false}.
     * Read once, when the class initialises.
     */
    static boolean enabled(String osName, String hugePagesProperty) {
        return osName.startsWith("Linux") && !"false".equals(hugePagesProperty);
    }

    /**
     * Returns: {@code bytes} of zeroed memory, aligned to at least {@code alignment} (a power of
     * two), freed when {@code arena} closes.
     */
    static MemorySegment allocate(Arena arena, long bytes, long alignment) {
        return allocate(arena, bytes, alignment, true);
    }

    /**
     * {@link #allocate(Arena, long, long)} that maps memory itself only when {@code hugePages} is
     * true and this JVM can; false takes the path {@code -Dgingham.maps.hugePages=false} gives
     * every allocation (the flag is read once, at class initialisation, so tests of that path
     * come through here).
     */
    static MemorySegment allocate(Arena arena, long bytes, long alignment, boolean hugePages) {
        if (!hugePages || MMAP == null || bytes < HUGE_PAGE || alignment > 4096) {
            return arena.allocate(bytes, alignment);
        }
        // mmap promises only 4 KiB alignment: map one huge page more and start at the first
        // 2 MiB boundary, so every 2 MiB of the region can be one huge page.
        long rounded = (bytes + HUGE_PAGE - 1) & -HUGE_PAGE;
        long mapped = rounded + HUGE_PAGE;
        MemorySegment region = map(mapped);
        if (region == null) {
            return arena.allocate(bytes, alignment);
        }
        long mappedAddress = region.address();
        long aligned = (mappedAddress + HUGE_PAGE - 1) & -HUGE_PAGE;
        advise(aligned, rounded);
        return MemorySegment.ofAddress(aligned).reinterpret(bytes, arena, ignored -> unmap(mappedAddress, mapped));
    }

    /** True when this JVM can map memory itself (Linux with native access). */
    static boolean hugePagesPossible() {
        return MMAP != null;
    }

    private static MemorySegment map(long bytes) {
        try {
            MemorySegment result = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, bytes, PROT_READ_WRITE,
                    MAP_PRIVATE_ANONYMOUS, -1, 0L);
            return result.address() == MAP_FAILED ? null : result;
        } catch (Throwable e) {
            return null;
        }
    }

    private static void advise(long address, long bytes) {
        try {
            int ignored = (int) MADVISE.invokeExact(MemorySegment.ofAddress(address), bytes, MADV_HUGEPAGE);
        } catch (Throwable e) {
            // advice only: without it the mapping still works with small pages
        }
    }

    private static void unmap(long address, long bytes) {
        try {
            int ignored = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), bytes);
        } catch (Throwable e) {
            // nothing to do at arena close; the process keeps the pages
        }
    }
}
