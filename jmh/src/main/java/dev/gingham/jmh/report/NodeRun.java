package dev.gingham.jmh.report;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One run of {@code gingham bench-node} as its JSON file records it (written by the dataplane's
 * {@code nodebench.NodeBenchReport}): the daemon's end-to-end figures beside their baselines. The
 * report shows the newest default run, so a JMH run and the node's figures appear in one file
 * although they come from different commands (a node run needs root and namespaces; JMH does not).
 *
 * @param json the parsed file
 * @param link how the report links the file (relative to the report)
 */
record NodeRun(JsonNode json, String link) {
    /** The suffix of a run with the default settings; variants ({@code -node-no-tso}, ...) are not shown. */
    static final String DEFAULT_RUN_SUFFIX = "-node.json";

    /**
     * Returns: the newest default run in {@code dir} (by name: they start with their UTC timestamp), or
     * empty when there is none.
     *
     * @param linkPrefix how the report links {@code dir}
     */
    static Optional<NodeRun> newest(Path dir, String linkPrefix) {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(DEFAULT_RUN_SUFFIX))
                    .max(Comparator.comparing(p -> p.getFileName().toString()))
                    .map(p -> read(p, linkPrefix + "/" + p.getFileName()));
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + dir, e);
        }
    }

    /** Reads one run; a file that is not a bench-node result is an error naming it. */
    static NodeRun read(Path file, String link) {
        JsonNode json = JsonMapper.builder().build().readTree(file.toFile());
        if (!"gingham-bench-node".equals(json.path("kind").asString(""))) {
            throw new IllegalArgumentException(file + ": not a gingham bench-node result (kind is not gingham-bench-node)");
        }
        return new NodeRun(json, link);
    }

    /** Returns: the number at {@code path} (slash-separated), NaN when the run does not have it. */
    double number(String path) {
        JsonNode node = json.at("/" + path);
        return node.isNumber() ? node.asDouble() : Double.NaN;
    }

    /** Returns: the text at {@code path} (slash-separated), "" when absent. */
    String text(String path) {
        return json.at("/" + path).asString("");
    }
}
