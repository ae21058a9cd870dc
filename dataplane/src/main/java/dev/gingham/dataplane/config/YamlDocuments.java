package dev.gingham.dataplane.config;

import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a YAML stream (or a JSON file, which YAML 1.2 reads as well) into its documents, each
 * with its number and the line it starts on, so messages can point at the document to fix.
 *
 * <p>Duplicate keys are errors (YAML forbids them and a parser that keeps the last one silently
 * drops what the user wrote first). Empty documents (a trailing {@code ---}) are skipped but
 * still counted, so document numbers match what the user sees.
 */
public final class YamlDocuments {
    private static final YAMLMapper MAPPER = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private YamlDocuments() {
    }

    /**
     * One document of a stream.
     *
     * @param number 1-based position in the stream
     * @param line   the line its first field is on (1-based)
     * @param root   its parsed tree, never null
     */
    public record Document(int number, int line, JsonNode root) {
    }

    /** A stream that is not YAML at all, with the document and line where parsing stopped. */
    public static final class SyntaxException extends RuntimeException {
        private final int document;

        SyntaxException(String message, int document, Throwable cause) {
            super(message, cause);
            this.document = document;
        }

        /** Returns: the 1-based number of the document that does not parse. */
        public int document() {
            return document;
        }
    }

    /**
     * Parses every document of {@code text}.
     *
     * @param source how to name the input in errors (a file name)
     * @throws SyntaxException naming the source, the document, the line and the column
     */
    public static List<Document> read(String text, String source) {
        List<Document> documents = new ArrayList<>();
        int number = 0;
        try (MappingIterator<JsonNode> iterator = MAPPER.readerFor(JsonNode.class).readValues(text)) {
            while (iterator.hasNextValue()) {
                number++;
                int line = iterator.currentLocation() == null ? 0 : iterator.currentLocation().getLineNr();
                JsonNode node = iterator.nextValue();
                if (node != null && !node.isNull() && !node.isMissingNode()) {
                    documents.add(new Document(number, line, node));
                }
            }
        } catch (JacksonException e) {
            int where = Math.max(number, 1);
            String location = e.getLocation() == null ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            throw new SyntaxException(source + ": document " + where + ": not valid YAML: " + e.getOriginalMessage() + location,
                    where, e);
        }
        return documents;
    }
}
