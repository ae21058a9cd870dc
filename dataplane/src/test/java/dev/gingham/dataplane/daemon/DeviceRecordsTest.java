package dev.gingham.dataplane.daemon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pod-device list in the pin directory: what a restarted daemon reads back, and its lock. */
class DeviceRecordsTest {
    @TempDir
    Path dir;

    @Test
    void shouldReadBackWhatThePreviousDaemonRecordedWhenOpenedAgain() {
        try (DeviceRecords records = DeviceRecords.open(dir)) {
            records.put(new DeviceRecords.Entry("demo/web-1", "pod-web-1", 0x0A_00_00_00_01_11L, "10.244.1.11"));
            records.put(new DeviceRecords.Entry("demo/db", "pod-db", 0x0A_00_00_00_01_20L, "10.244.1.20,fd00::20"));
            records.remove("demo/web-1");
        }
        try (DeviceRecords records = DeviceRecords.open(dir)) {
            assertEquals(Map.of("demo/db", new DeviceRecords.Entry("demo/db", "pod-db", 0x0A_00_00_00_01_20L, "10.244.1.20,fd00::20")),
                    records.entries());
        }
    }

    @Test
    void shouldRefuseASecondDaemonWhenThePinDirectoryIsInUse() {
        try (DeviceRecords first = DeviceRecords.open(dir)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> DeviceRecords.open(dir));
            assertTrue(e.getMessage().contains("is in use by another Gingham daemon"), e.getMessage());
        }
        DeviceRecords.open(dir).close(); // released with the first
    }

    @Test
    void shouldNameFileAndLineWhenTheListIsDamaged() throws Exception {
        Files.writeString(dir.resolve(DeviceRecords.FILE_NAME), "# header\ndemo/db pod-db\n");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> DeviceRecords.open(dir));
        assertTrue(e.getMessage().contains("devices line 2: expected 'pod-key netns mac addresses'"), e.getMessage());
        Files.writeString(dir.resolve(DeviceRecords.FILE_NAME), "");
        DeviceRecords.open(dir).close(); // the failed open released the lock
    }
}
