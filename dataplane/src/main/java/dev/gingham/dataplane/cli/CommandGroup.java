package dev.gingham.dataplane.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * A command that only groups subcommands, as in {@code gingham service list}: run on its own it
 * is a usage error naming the subcommands. One class serves every group (service, endpoint, ct,
 * nat, policy), built programmatically, rather than an annotated class per group that would say
 * the same thing five times.
 */
final class CommandGroup implements Runnable {
    private CommandSpec spec;

    private CommandGroup() {
    }

    /** Returns: the group {@code name} with {@code subcommands} (annotated command objects). */
    static CommandLine of(String name, String description, Object... subcommands) {
        CommandGroup group = new CommandGroup();
        group.spec = CommandSpec.wrapWithoutInspection(group).name(name).mixinStandardHelpOptions(true);
        group.spec.usageMessage().description(description);
        CommandLine line = new CommandLine(group.spec);
        for (Object sub : subcommands) {
            line.addSubcommand(sub);
        }
        return line;
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing subcommand: "
                + String.join(" or ", spec.subcommands().keySet()));
    }
}
