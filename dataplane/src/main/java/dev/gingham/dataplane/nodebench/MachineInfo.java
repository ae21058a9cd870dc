package dev.gingham.dataplane.nodebench;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Facts about the machine a benchmark run measures (the JMH suite and {@code gingham bench-node}),
 * read from Linux and the JVM (no external commands): CPU model, cores, memory, kernel, JDK,
 * garbage collector, load average.
 */
public final class MachineInfo {
    private MachineInfo() {
    }

    /** Returns: the first "model name" of /proc/cpuinfo, or "unknown" when it cannot be read. */
    public static String cpuModel() {
        return cpuModel(Path.of("/proc/cpuinfo"));
    }

    public static String cpuModel(Path cpuinfo) {
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.startsWith("model name")) {
                    int colon = line.indexOf(':');
                    return colon < 0 ? "unknown" : line.substring(colon + 1).trim();
                }
            }
        } catch (IOException e) {
            return "unknown";
        }
        return "unknown";
    }

    /** Returns: true when /proc/cpuinfo's flags include {@code hypervisor} (the CPU is virtual). */
    public static boolean virtualMachine() {
        return virtualMachine(Path.of("/proc/cpuinfo"));
    }

    public static boolean virtualMachine(Path cpuinfo) {
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.startsWith("flags") && (" " + line.substring(line.indexOf(':') + 1) + " ").contains(" hypervisor ")) {
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** Returns: the kernel release ({@code uname -r}). */
    public static String kernel() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        } catch (IOException e) {
            return System.getProperty("os.version");
        }
    }

    /** Returns: /proc/loadavg's three averages ("1.16 1.66 1.52"), or "unknown". */
    public static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields.length >= 3 ? fields[0] + " " + fields[1] + " " + fields[2] : "unknown";
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Returns: the machine's physical memory in MiB. */
    public static long memoryMib() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize() >> 20;
    }

    /** Returns: vendor and version of the running JDK (the benchmark forks run the same one). */
    public static String jdk() {
        return System.getProperty("java.vendor", "unknown") + " " + System.getProperty("java.runtime.version",
                System.getProperty("java.version"));
    }

    /**
     * Returns: the collector this JVM chose ("G1", "Parallel", "Serial", "ZGC", ...). The forks
     * start with the same JVM, the same flags plus a heap size, on the same machine, so the JVM's
     * ergonomics choose the same collector for them.
     */
    public static String gc() {
        return gc(ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName).toList());
    }

    public static String gc(List<String> beanNames) {
        Set<String> names = new LinkedHashSet<>();
        for (String bean : beanNames) {
            String n = bean.toLowerCase(Locale.ROOT);
            if (n.startsWith("g1")) {
                names.add("G1");
            } else if (n.startsWith("zgc")) {
                names.add("ZGC");
            } else if (n.startsWith("shenandoah")) {
                names.add("Shenandoah");
            } else if (n.startsWith("ps ") || n.contains("parallel")) {
                names.add("Parallel");
            } else if (n.equals("copy") || n.equals("marksweepcompact")) {
                names.add("Serial");
            } else if (n.startsWith("epsilon")) {
                names.add("Epsilon");
            } else {
                names.add(bean);
            }
        }
        return names.isEmpty() ? "unknown" : String.join("+", names);
    }
}
