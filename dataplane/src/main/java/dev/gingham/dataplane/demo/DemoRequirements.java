package dev.gingham.dataplane.demo;

import dev.gingham.tap.TapDevice;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code gingham demo} needs from the machine, checked before anything is created, so a
 * missing piece is one clear list ("root: ...; curl: apt-get install curl") instead of a failure
 * halfway through building namespaces.
 */
public final class DemoRequirements {
    /** A tool the demo runs, the probe that shows it works, and the Debian package that has it. */
    private record Tool(String name, List<String> probe, String debianPackage, String why) {
    }

    private static final List<Tool> TOOLS = List.of(
            new Tool("ip", List.of("ip", "-V"), "iproute2", "creates the namespaces and runs commands in them"),
            new Tool("ss", List.of("ss", "-V"), "iproute2", "waits for the servers to listen"),
            new Tool("ping", List.of("ping", "-V"), "iputils-ping", "the pod-to-pod step"),
            new Tool("curl", List.of("curl", "--version"), "curl", "the HTTP and TCP steps"),
            new Tool("python3", List.of("python3", "--version"), "python3", "the pods' servers and the UDP client"));

    private DemoRequirements() {
    }

    /** Returns: one line per missing requirement (empty: the demo can run). */
    public static List<String> missing() {
        List<String> missing = new ArrayList<>();
        if (!isRoot()) {
            missing.add("root: the demo creates network namespaces and TAP devices (run it with sudo)");
        }
        if (!Files.exists(TapDevice.TUN_DEVICE)) {
            missing.add(TapDevice.TUN_DEVICE + ": the pods' interfaces are TAP devices (modprobe tun; in a container: --device /dev/net/tun)");
        }
        for (Tool tool : TOOLS) {
            if (!Shell.available(tool.probe().toArray(String[]::new))) {
                missing.add(tool.name() + ": " + tool.why() + " (Debian: apt-get install " + tool.debianPackage() + ")");
            }
        }
        return missing;
    }

    /** Returns: whether this process runs as uid 0 (read from /proc, not from the user name). */
    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    String[] ids = line.substring(4).trim().split("\\s+");
                    return "0".equals(ids[1]); // the effective uid
                }
            }
        } catch (IOException e) {
            return "root".equals(System.getProperty("user.name"));
        }
        return false;
    }
}
