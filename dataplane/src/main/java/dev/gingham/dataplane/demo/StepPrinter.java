package dev.gingham.dataplane.demo;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints the demo's steps in one shape a newcomer can follow: a heading, then "What we do", the
 * exact command (pasteable), what it printed and what that means, each block indented under its
 * label and wrapped to the terminal's usual width.
 */
final class StepPrinter {
    private static final int WIDTH_CHARS = 100;
    private static final String INDENT = "    ";
    /** Output lines shown per command; the rest is summarised (a loop of curls prints one line per request). */
    private static final int MAX_OUTPUT_LINES = 8;

    private final PrintStream out;
    private final int steps;
    private int step;

    StepPrinter(PrintStream out, int steps) {
        this.out = out;
        this.steps = steps;
    }

    void heading(String title) {
        step++;
        out.println();
        out.println("== Step " + step + " of " + steps + ": " + title + " ==");
    }

    void what(String text) {
        block("What we do", text);
    }

    void command(List<String> command) {
        out.println("  Command:");
        out.println(INDENT + "$ " + Shell.quote(command));
    }

    void printed(String output) {
        out.println("  It printed:");
        String[] lines = output.isBlank() ? new String[]{"(nothing)"} : output.strip().split("\n");
        int shown = Math.min(lines.length, MAX_OUTPUT_LINES);
        for (int i = 0; i < shown; i++) {
            out.println(INDENT + "| " + lines[i]);
        }
        if (lines.length > shown) {
            out.println(INDENT + "| ... (" + (lines.length - shown) + " more lines, " + lines.length + " in all)");
        }
    }

    void meaning(boolean asExpected, String text) {
        block(asExpected ? "What it means" : "What it means (NOT what should happen)", text);
    }

    /** A paragraph of explanation outside the steps. */
    void paragraph(String text) {
        for (String line : wrap(text, WIDTH_CHARS)) {
            out.println(line);
        }
    }

    void line(String text) {
        out.println(text);
    }

    private void block(String label, String text) {
        out.println("  " + label + ":");
        for (String paragraph : text.split("\n")) {
            for (String line : wrap(paragraph, WIDTH_CHARS - INDENT.length())) {
                out.println(INDENT + line);
            }
        }
    }

    /** Greedy word wrap (a word longer than the width gets a line of its own). */
    static List<String> wrap(String text, int widthChars) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.strip().split("\\s+")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > widthChars) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word);
        }
        if (line.length() > 0 || lines.isEmpty()) {
            lines.add(line.toString());
        }
        return lines;
    }
}
