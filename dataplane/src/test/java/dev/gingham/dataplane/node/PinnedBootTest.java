package dev.gingham.dataplane.node;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PinnedBootTest {
    private static final List<String> ENTRIES = List.of("conntrack", "drops.map");

    @TempDir
    Path dir;

    private void pinSomeMaps() throws Exception {
        Files.createDirectories(dir.resolve("conntrack"));
        Files.writeString(dir.resolve("conntrack/tcp.map"), "tcp");
        Files.writeString(dir.resolve("conntrack/non-tcp.map"), "udp");
        Files.writeString(dir.resolve("drops.map"), "drops");
        Files.writeString(dir.resolve("devices"), "records");
    }

    @Test
    void shouldKeepMapsAndStampWhenDirectoryHasNoStampYet() throws Exception {
        pinSomeMaps();

        assertNull(PinnedBoot.prepare(dir, "boot-a", ENTRIES), "an unstamped directory (an upgrade) keeps its maps");

        assertTrue(Files.exists(dir.resolve("conntrack/tcp.map")));
        assertEquals("boot-a\n", Files.readString(dir.resolve(PinnedBoot.STAMP_FILE)));
        assertNull(PinnedBoot.prepare(dir, "boot-a", ENTRIES), "same boot: kept");
        assertTrue(Files.exists(dir.resolve("drops.map")));
    }

    @Test
    void shouldDeleteOnlyTheMapsWhenStampNamesAnotherBoot() throws Exception {
        pinSomeMaps();
        PinnedBoot.prepare(dir, "boot-a", ENTRIES);

        String done = PinnedBoot.prepare(dir, "boot-b", ENTRIES);

        assertEquals("pin directory " + dir + " is from an earlier boot (boot id boot-a): its maps were discarded"
                + " (3 file(s)); the node starts with empty maps", done);
        assertFalse(Files.exists(dir.resolve("conntrack")));
        assertFalse(Files.exists(dir.resolve("drops.map")));
        assertEquals("records", Files.readString(dir.resolve("devices")), "not a map: kept");
        assertEquals("boot-b\n", Files.readString(dir.resolve(PinnedBoot.STAMP_FILE)));
        assertNull(PinnedBoot.prepare(dir, "boot-b", ENTRIES));
    }

    @Test
    void shouldCompareNothingWhenKernelGivesNoBootId() throws Exception {
        pinSomeMaps();
        Files.writeString(dir.resolve(PinnedBoot.STAMP_FILE), "boot-a\n");

        assertNull(PinnedBoot.prepare(dir, "", ENTRIES));

        assertTrue(Files.exists(dir.resolve("conntrack/tcp.map")));
        assertEquals("boot-a\n", Files.readString(dir.resolve(PinnedBoot.STAMP_FILE)));
    }

    @Test
    void shouldReadThisMachinesBootIdFromTheKernel() {
        String id = PinnedBoot.currentBootId();
        assertTrue(id.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "a UUID: " + id);
    }
}
