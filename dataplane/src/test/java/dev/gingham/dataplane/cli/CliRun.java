package dev.gingham.dataplane.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Runs a {@code gingham} command line in this JVM as the launcher would, with what it prints to
 * standard output and standard error captured (the run, fuzz and demo commands print there
 * directly), and both streams restored afterwards, also when the command throws.
 */
record CliRun(int exit, String out, String err) {
    static CliRun execute(String... args) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            exit = GinghamCli.commandLine().execute(args);
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
        return new CliRun(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
