package dev.gingham.dataplane.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Where {@link YamlField} reports a bad field: either collected (node configuration: an operator
 * fixes every mistake of the file in one go) or thrown at the first one (one Kubernetes object:
 * later fields of a broken object would only produce follow-on noise).
 */
public final class Problems {
    private final boolean throwFirst;
    private final List<Problem> problems = new ArrayList<>();

    private Problems(boolean throwFirst) {
        this.throwFirst = throwFirst;
    }

    /** Returns: a sink that keeps every problem; readers go on with the fallback value. */
    public static Problems collecting() {
        return new Problems(false);
    }

    /** Returns: a sink that throws {@link FieldException} at the first problem. */
    public static Problems throwing() {
        return new Problems(true);
    }

    /**
     * Records (or throws) a problem at {@code path}.
     *
     * @param path    the field's path ("tunnel.vni", "spec.ports[0].port"); "" for the document
     * @param message what is wrong, in the user's terms
     * @throws FieldException for a throwing sink
     */
    public void add(String path, String message) {
        if (throwFirst) {
            throw new FieldException(path, message);
        }
        problems.add(new Problem(path, message));
    }

    /** Returns: true when a problem was recorded at {@code path} or inside it (so a check does not report a field twice). */
    public boolean reported(String path) {
        for (Problem problem : problems) {
            String at = problem.path();
            if (at.equals(path) || at.startsWith(path + ".") || at.startsWith(path + "[")) {
                return true;
            }
        }
        return false;
    }

    public boolean isEmpty() {
        return problems.isEmpty();
    }

    /** Returns: the problems in the order they were found. */
    public List<Problem> all() {
        return List.copyOf(problems);
    }

    /**
     * One bad field.
     *
     * @param path    its path ("" for the document as a whole)
     * @param message what is wrong
     */
    public record Problem(String path, String message) {
        @Override
        public String toString() {
            return path.isEmpty() ? message : path + ": " + message;
        }
    }

    /** The first problem of a throwing sink, with its path. */
    public static final class FieldException extends RuntimeException {
        private final String path;

        public FieldException(String path, String message) {
            super(message, null, false, false);
            this.path = path;
        }

        /** Returns: the path of the bad field, "" for the document. */
        public String path() {
            return path;
        }

        /** Returns: "path: message". */
        public String describe() {
            return path.isEmpty() ? getMessage() : path + ": " + getMessage();
        }
    }
}
