package dev.gingham.dataplane.nodebench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MachineInfoTest {
    @TempDir
    Path dir;

    @Test
    void shouldReadTheModelNameAndHypervisorFlagWhenGivenACpuinfo() throws Exception {
        Path cpuinfo = dir.resolve("cpuinfo");
        Files.writeString(cpuinfo, """
                processor\t: 0
                vendor_id\t: AuthenticAMD
                model name\t: AMD EPYC 7B13
                flags\t\t: fpu vme sse2 hypervisor lahf_lm
                """);
        assertEquals("AMD EPYC 7B13", MachineInfo.cpuModel(cpuinfo));
        assertTrue(MachineInfo.virtualMachine(cpuinfo));
    }

    @Test
    void shouldSayNotVirtualWhenTheFlagsLackHypervisor() throws Exception {
        Path cpuinfo = dir.resolve("cpuinfo");
        Files.writeString(cpuinfo, "model name\t: Intel(R) Core(TM) i7\nflags\t\t: fpu vme hypervisorx\n");
        assertFalse(MachineInfo.virtualMachine(cpuinfo));
        assertEquals("unknown", MachineInfo.cpuModel(dir.resolve("missing")));
    }

    @Test
    void shouldNameTheCollectorFamilyWhenGivenItsMxBeans() {
        assertEquals("G1", MachineInfo.gc(List.of("G1 Young Generation", "G1 Concurrent GC", "G1 Old Generation")));
        assertEquals("Parallel", MachineInfo.gc(List.of("PS Scavenge", "PS MarkSweep")));
        assertEquals("Serial", MachineInfo.gc(List.of("Copy", "MarkSweepCompact")));
        assertEquals("ZGC", MachineInfo.gc(List.of("ZGC Minor Cycles", "ZGC Major Cycles")));
    }
}
