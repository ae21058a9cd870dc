package dev.gingham.dataplane.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code gingham} command line: one entry point, a subcommand per job (replay, fuzz, run,
 * demo, and the inspection commands). {@code ./gingham} builds the jar and runs this class; exit
 * codes follow picocli (0 ok, 1 failure, 2 usage error).
 */
@Command(name = "gingham", mixinStandardHelpOptions = true, version = "gingham 0.1.0",
        description = "A userspace Kubernetes node dataplane: run a node, replay and fuzz captures, measure the node end to end.",
        subcommands = {RunCommand.class, ReplayCommand.class, FuzzCommand.class, BenchNodeCommand.class,
                CommandLine.HelpCommand.class})
public final class GinghamCli {
    /** Returns: the command line with every subcommand (tests run commands through it without exiting). */
    public static CommandLine commandLine() {
        return new CommandLine(new GinghamCli());
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
