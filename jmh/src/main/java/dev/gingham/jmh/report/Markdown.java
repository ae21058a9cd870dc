package dev.gingham.jmh.report;

import java.util.List;

/** A Markdown document being written: headings, paragraphs, tables, images. */
final class Markdown {
    private final StringBuilder out = new StringBuilder();

    Markdown heading(int level, String text) {
        out.append("#".repeat(level)).append(' ').append(text).append("\n\n");
        return this;
    }

    Markdown paragraph(String text) {
        out.append(text.strip()).append("\n\n");
        return this;
    }

    /** A bulleted list. */
    Markdown bullets(List<String> items) {
        for (String item : items) {
            out.append("- ").append(item).append('\n');
        }
        out.append('\n');
        return this;
    }

    /**
     * A table; {@code alignRight[i]} right-aligns column i (numbers).
     */
    Markdown table(List<String> header, boolean[] alignRight, List<List<String>> rows) {
        if (alignRight.length != header.size()) {
            throw new IllegalArgumentException("table: " + header.size() + " columns but " + alignRight.length + " alignments");
        }
        out.append('|');
        for (String h : header) {
            out.append(' ').append(cell(h)).append(" |");
        }
        out.append("\n|");
        for (boolean right : alignRight) {
            out.append(right ? "---:|" : "---|");
        }
        out.append('\n');
        for (List<String> row : rows) {
            if (row.size() != header.size()) {
                throw new IllegalArgumentException("table row " + row + ": " + row.size() + " cells, header has " + header.size());
            }
            out.append('|');
            for (String c : row) {
                out.append(' ').append(cell(c)).append(" |");
            }
            out.append('\n');
        }
        out.append('\n');
        return this;
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }

    Markdown image(String alt, String link) {
        out.append("![").append(alt).append("](").append(link).append(")\n\n");
        return this;
    }

    Markdown code(String text) {
        out.append("```\n").append(text.strip()).append("\n```\n\n");
        return this;
    }

    Markdown raw(String text) {
        out.append(text);
        return this;
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
