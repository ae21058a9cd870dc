package dev.gingham.jmh.report;

import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Path;
import java.util.List;

/**
 * What the report states about a run besides the JMH numbers: when, how, on what machine, and
 * how it went. The suite runner writes it beside the JMH JSON ({@code <run>.run.json}); the
 * report generator reads both, so a report can be regenerated from the files alone.
 *
 * @param startedAt       ISO-8601 instant the run started (UTC)
 * @param mode            {@code quick} or {@code full}
 * @param command         the command that produced it, as a user types it
 * @param gitCommit       the commit measured (with {@code -dirty} for uncommitted changes), or empty
 * @param cpuModel        /proc/cpuinfo's model name
 * @param cores           processors available to the JVM
 * @param virtualMachine  true when the CPU reports a hypervisor
 * @param memoryMib       the machine's memory
 * @param kernel          the kernel release (uname -r)
 * @param jdk             the JDK's vendor and version
 * @param gc              the garbage collector the benchmark JVMs run with
 * @param jmhVersion      JMH's version
 * @param loadAtStart     /proc/loadavg's 1, 5 and 15 minute averages at the start
 * @param loadAtEnd       the same at the end
 * @param wallSeconds     wall-clock time of the whole run, including builds of nothing (the jar is built before)
 * @param runsPlanned     JMH runs (forks) the suite has
 * @param runsCompleted   runs that produced a result
 * @param failed          the runs that failed, as "Benchmark.method {params}"
 */
public record RunInfo(String startedAt, String mode, String command, String gitCommit, String cpuModel, int cores,
                      boolean virtualMachine, long memoryMib, String kernel, String jdk, String gc, String jmhVersion, String loadAtStart,
                      String loadAtEnd, long wallSeconds, int runsPlanned, int runsCompleted, List<String> failed) {
    public RunInfo {
        failed = failed == null ? List.of() : List.copyOf(failed);
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Returns: the run info read from {@code file}; a clear message naming the file when it is not one. */
    public static RunInfo read(Path file) {
        try {
            return JSON.readValue(file.toFile(), RunInfo.class);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": not a run-info file (" + e.getMessage() + ")", e);
        }
    }

    /** Writes the run info to {@code file} as indented JSON. */
    public void write(Path file) {
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), this);
    }

    /**
     * Returns: what can be said about a results file that has no run info (a plain
     * {@code -rf json} run): the JDK from the JSON, everything else unknown.
     */
    public static RunInfo unknown(BenchResults results, Path file) {
        return new RunInfo("unknown date", "jmh", "(a JMH run without run info: " + file.getFileName() + ")", "", "unknown",
                0, false, 0, "unknown", results.jdkVersion(), "unknown", results.jmhVersion(), "unknown", "unknown", 0,
                results.all().size(), results.all().size(), List.of());
    }

    /** Returns: the run-info file that belongs to a JMH results file ({@code x.json} -> {@code x.run.json}). */
    public static Path besideResults(Path results) {
        String name = results.getFileName().toString();
        String base = name.endsWith(".json") ? name.substring(0, name.length() - ".json".length()) : name;
        return results.resolveSibling(base + ".run.json");
    }
}
