package dev.gingham.dataplane.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An aligned plain-text table for the inspection commands: a header row, then rows; each column
 * as wide as its widest cell, two spaces between columns, no trailing blanks (so output diffs and
 * greps cleanly). Cells are strings; a row shorter than the header is padded with empty cells.
 */
public final class TextTable {
    private static final String GAP = "  ";

    private final String[] header;
    private final List<String[]> rows = new ArrayList<>();

    public TextTable(String... header) {
        this.header = header.clone();
    }

    /** Adds a row (as many cells as the header at most). */
    public TextTable row(Object... cells) {
        if (cells.length > header.length) {
            throw new IllegalArgumentException(cells.length + " cells for " + header.length + " columns");
        }
        String[] row = new String[header.length];
        Arrays.fill(row, "");
        for (int i = 0; i < cells.length; i++) {
            row[i] = String.valueOf(cells[i]);
        }
        rows.add(row);
        return this;
    }

    /** Returns: the rows added so far. */
    public int size() {
        return rows.size();
    }

    /** Returns: "1 entry", "3 entries": a count with the noun that fits it. */
    public static String count(long n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }

    @Override
    public String toString() {
        int[] width = new int[header.length];
        for (int c = 0; c < header.length; c++) {
            width[c] = header[c].length();
            for (String[] row : rows) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        StringBuilder out = new StringBuilder();
        line(out, header, width);
        for (String[] row : rows) {
            line(out, row, width);
        }
        return out.toString();
    }

    private static void line(StringBuilder out, String[] cells, int[] width) {
        int start = out.length();
        for (int c = 0; c < cells.length; c++) {
            out.append(cells[c]);
            if (c < cells.length - 1) {
                out.append(" ".repeat(width[c] - cells[c].length())).append(GAP);
            }
        }
        int end = out.length();
        while (end > start && out.charAt(end - 1) == ' ') {
            end--;
        }
        out.setLength(end);
        out.append('\n');
    }
}
