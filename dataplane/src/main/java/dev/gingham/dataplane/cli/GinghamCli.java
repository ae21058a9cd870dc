package dev.gingham.dataplane.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code gingham} command line: one entry point, a subcommand per job (replay, fuzz, run,
 * demo, and the inspection commands). {@code ./gingham} builds the jar and runs this class; exit
 * codes follow picocli (0 ok, 1 failure, 2 usage error).
 */
@Command(name = "gingham", mixinStandardHelpOptions = true, version = "gingham 0.1.0",
        description = "A userspace Kubernetes node dataplane: run a node, replay and fuzz captures, measure the node end to end, inspect a running node.",
        subcommands = {RunCommand.class, DemoCommand.class, ReplayCommand.class, FuzzCommand.class, BenchNodeCommand.class})
public final class GinghamCli {
    /** Returns: the command line with every subcommand (tests run commands through it without exiting). */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new GinghamCli());
        // The inspection groups (cilium-dbg's "service list", "ct list", ...): they talk to a running node's admin API.
        cli.addSubcommand(CommandGroup.of("service", "Inspect services as the data path sees them.", new ServiceListCommand()));
        cli.addSubcommand(CommandGroup.of("endpoint", "Inspect this node's endpoints (local pods).", new EndpointListCommand()));
        cli.addSubcommand(CommandGroup.of("ct", "Inspect the conntrack tables.", new CtListCommand()));
        cli.addSubcommand(CommandGroup.of("nat", "Inspect SNAT mappings.", new NatListCommand()));
        cli.addSubcommand(CommandGroup.of("policy", "Inspect NetworkPolicy as computed for local pods.", new PolicyGetCommand()));
        cli.addSubcommand(new MonitorCommand());
        cli.addSubcommand(new MetricsCommand());
        cli.addSubcommand(new CommandLine.HelpCommand());
        return cli;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
