package dev.gingham.dataplane.k8s;

import java.util.List;

/**
 * Manifests that cannot be applied, with every problem found: each names the file, the object
 * (Kind namespace/name) and the field to fix. Thrown for one file by {@link ManifestReader} and
 * for a whole directory, with cross-object problems, by the cluster package; whatever throws it
 * changed nothing.
 */
public final class ManifestException extends RuntimeException {
    private final List<Problem> problems;

    public ManifestException(List<Problem> problems) {
        super(format(problems));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ManifestException needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    public ManifestException(Problem problem) {
        this(List.of(problem));
    }

    /** Returns: every problem, in file order. */
    public List<Problem> problems() {
        return problems;
    }

    /**
     * One problem.
     *
     * @param source  where the object was written (document 0 for a problem with the file as a whole)
     * @param object  "Service shop/web", or "" when the object could not be identified
     * @param field   the field path ("spec.ports[0].targetPort"), "" for the object as a whole
     * @param message what is wrong
     */
    public record Problem(ManifestObject.Source source, String object, String field, String message) {
        /** Returns: "services.yaml: document 2 (line 14): Service shop/web: spec.ports[0].port: must be 1..65535, got 0". */
        @Override
        public String toString() {
            StringBuilder text = new StringBuilder(source.document() == 0 ? source.file() : source.toString());
            if (!object.isEmpty()) {
                text.append(": ").append(object);
            }
            if (!field.isEmpty()) {
                text.append(": ").append(field);
            }
            return text.append(": ").append(message).toString();
        }
    }

    private static String format(List<Problem> problems) {
        if (problems.size() == 1) {
            return problems.getFirst().toString();
        }
        StringBuilder text = new StringBuilder(problems.size() + " problems:");
        for (Problem problem : problems) {
            text.append("\n  ").append(problem);
        }
        return text.toString();
    }
}
