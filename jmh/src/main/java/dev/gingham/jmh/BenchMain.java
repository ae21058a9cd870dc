package dev.gingham.jmh;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Entry point of the benchmark jar: JMH's own command line, with Gingham's JVM flags appended to
 * every fork.
 *
 * <p>The flags come from {@code jvm.properties} at the repository root (filtered into the
 * resource {@code jvm-flags.txt} at build time), so surefire, the launcher and the JMH forks all
 * run with the same set and nobody copies them into {@code @Fork} annotations.
 */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        List<String> jmhArgs = new ArrayList<>(Arrays.asList(args));
        String flags = jvmFlags();
        if (!flags.isBlank()) {
            jmhArgs.add("-jvmArgsAppend");
            jmhArgs.add(flags);
        }
        org.openjdk.jmh.Main.main(jmhArgs.toArray(String[]::new));
    }

    /** Returns: the JVM flags Gingham needs, space separated, as written in jvm.properties. */
    public static String jvmFlags() throws IOException {
        try (InputStream in = BenchMain.class.getResourceAsStream("jvm-flags.txt")) {
            if (in == null) {
                throw new IllegalStateException("jvm-flags.txt missing from the benchmark jar: rebuild with ./gingham build");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
    }
}
