package dev.gingham.maps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AnonymousMemoryTest {
    private static final long MIB = 1L << 20;
    private static final Path SMAPS = Path.of("/proc/self/smaps");
    private static final Path THP_ENABLED = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");

    /** Asserts what every region promises: its size, alignment, zeroes, and a write at each end. */
    private static void assertUsable(MemorySegment region, long bytes, long alignment) {
        assertEquals(bytes, region.byteSize());
        assertEquals(0, region.address() % alignment, "address " + Long.toHexString(region.address()));
        long firstNonZero = region.mismatch(MemorySegment.ofArray(new byte[(int) bytes]));
        assertEquals(-1, firstNonZero, "first non-zero byte");
        region.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        region.set(ValueLayout.JAVA_BYTE, bytes - 1, (byte) 0x5A);
        assertEquals(0x5A, region.get(ValueLayout.JAVA_BYTE, bytes - 1));
        assertEquals(1, region.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> region.get(ValueLayout.JAVA_BYTE, bytes));
    }

    @ParameterizedTest(name = "{0} bytes aligned to {1}, huge pages {2}")
    @CsvSource({
        "4096, 128, true", "1048579, 128, true", "2097151, 4096, true",
        "2097152, 128, true", "5242881, 128, true", "5242881, 4096, true", "3145728, 8192, true",
        "1048579, 128, false", "2097152, 128, false", "5242881, 4096, false",
    })
    void shouldBeZeroedAlignedAndWritableToTheLastByteWhenAllocated(long bytes, long alignment, boolean hugePages) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment region = AnonymousMemory.allocate(arena, bytes, alignment, hugePages);
            assertUsable(region, bytes, alignment);
        }
    }

    @Test
    void shouldFreeEveryRegionWithoutErrorWhenTheArenaCloses() {
        Arena arena = Arena.ofShared();
        MemorySegment small = AnonymousMemory.allocate(arena, MIB, 128);
        MemorySegment large = AnonymousMemory.allocate(arena, 6 * MIB + 5, 128);
        MemorySegment plain = AnonymousMemory.allocate(arena, 6 * MIB, 128, false);
        large.fill((byte) 7);
        arena.close();
        for (MemorySegment region : List.of(small, large, plain)) {
            assertFalse(region.scope().isAlive());
            assertThrows(IllegalStateException.class, () -> region.get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    @Test
    void shouldUnmapAMappedRegionWhenTheArenaCloses() throws IOException {
        assumeTrue(AnonymousMemory.hugePagesPossible(), "this JVM does not map memory itself (not Linux, or no native access)");
        assumeTrue(Files.isReadable(SMAPS), "no /proc/self/smaps to inspect mappings");
        Arena arena = Arena.ofShared();
        MemorySegment region = AnonymousMemory.allocate(arena, 4 * MIB, 128);
        long address = region.address();
        Mapping mapping = Mapping.containing(address);
        assertNotNull(mapping, "the region is a mapping of its own");
        assertTrue(mapping.advisedHuge(), "advised MADV_HUGEPAGE: " + mapping);
        arena.close();
        Mapping after = Mapping.containing(address);
        // The address is unmapped, or (if another allocation took the hole at once) not ours.
        assertTrue(after == null || !after.advisedHuge(), "still mapped: " + after);
    }

    @Test
    void shouldFallBackToPlainAllocationWhenHugePagesAreSwitchedOff() throws IOException {
        assertFalse(AnonymousMemory.enabled("Linux", "false"));
        assertTrue(AnonymousMemory.enabled("Linux", null));
        assertTrue(AnonymousMemory.enabled("Linux", "true"));
        assertFalse(AnonymousMemory.enabled("Mac OS X", null));
        try (Arena arena = Arena.ofShared()) {
            MemorySegment region = AnonymousMemory.allocate(arena, 8 * MIB, 128, false);
            assertUsable(region, 8 * MIB, 128);
            if (Files.isReadable(SMAPS)) {
                Mapping mapping = Mapping.containing(region.address());
                assertTrue(mapping == null || !mapping.advisedHuge(), "plain memory is not advised: " + mapping);
            }
        }
    }

    @Test
    void shouldBeBackedByHugePagesWhenTheKernelGrantsThem() throws IOException {
        assumeTrue(AnonymousMemory.hugePagesPossible(), "this JVM does not map memory itself (not Linux, or no native access)");
        assumeTrue(Files.isReadable(THP_ENABLED) && Files.isReadable(SMAPS), "no transparent huge page support to inspect");
        String mode = Files.readString(THP_ENABLED);
        assumeTrue(mode.contains("[always]") || mode.contains("[madvise]"), "transparent huge pages are off: " + mode.strip());
        try (Arena arena = Arena.ofShared()) {
            // 8 MiB holds at least three 2 MiB-aligned stretches wherever the mapping starts.
            MemorySegment region = AnonymousMemory.allocate(arena, 8 * MIB, 128);
            for (long offset = 0; offset < region.byteSize(); offset += 4096) {
                region.set(ValueLayout.JAVA_BYTE, offset, (byte) 1);
            }
            Mapping mapping = Mapping.containing(region.address());
            assertNotNull(mapping);
            assertTrue(mapping.anonHugePagesKib() >= 2048, "THP mode " + mode.strip() + ", mapping " + mapping);
        }
    }

    /** One mapping of /proc/self/smaps: its range, VmFlags and AnonHugePages. */
    private record Mapping(long start, long end, String flags, long anonHugePagesKib) {
        /** Returns: the mapping that holds {@code address}, or null when none does. */
        static Mapping containing(long address) throws IOException {
            List<String> lines = Files.readAllLines(SMAPS);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                int dash = line.indexOf('-');
                int space = line.indexOf(' ');
                if (dash <= 0 || space < dash || line.contains(":") && line.indexOf(':') < dash) {
                    continue;
                }
                long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                if (Long.compareUnsigned(address, start) < 0 || Long.compareUnsigned(address, end) >= 0) {
                    continue;
                }
                String flags = null;
                long huge = -1;
                for (int j = i + 1; j < lines.size() && (flags == null || huge < 0); j++) {
                    String field = lines.get(j);
                    if (field.startsWith("AnonHugePages:")) {
                        huge = Long.parseLong(field.replaceAll("\\D", ""));
                    } else if (field.startsWith("VmFlags:")) {
                        flags = field.substring("VmFlags:".length()).strip();
                    } else if (!field.contains(":") || field.indexOf(' ') < field.indexOf(':')) {
                        break; // the next mapping's header
                    }
                }
                return new Mapping(start, end, flags == null ? "" : flags, huge);
            }
            return null;
        }

        /** Returns: true when the mapping was advised MADV_HUGEPAGE (VmFlags "hg"). */
        boolean advisedHuge() {
            return List.of(flags.split(" ")).contains("hg");
        }

        @Override
        public String toString() {
            return Long.toHexString(start) + "-" + Long.toHexString(end) + " flags [" + flags + "] AnonHugePages "
                    + anonHugePagesKib + " kB";
        }
    }
}
