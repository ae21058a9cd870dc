package dev.gingham.dataplane.cluster;

import dev.gingham.dataplane.k8s.ManifestException;
import dev.gingham.dataplane.k8s.ManifestObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Problems and warnings found while checking or translating a manifest set, each tied to the
 * object (and so the file) it is about. Problems reject the whole set; warnings are reported and
 * the set is used.
 */
final class Findings {
    private final List<ManifestException.Problem> problems = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    /** Records a problem at {@code field} (relative to the object) of {@code object}. */
    void error(ManifestObject object, String field, String message) {
        problems.add(new ManifestException.Problem(object.source(), object.ref().toString(), object.source().field(field), message));
    }

    /** Records a problem with the set as a whole (a capacity, a node configuration mismatch). */
    void error(String where, String message) {
        problems.add(new ManifestException.Problem(new ManifestObject.Source(where, 0, 0), "", "", message));
    }

    void warn(ManifestObject object, String message) {
        warnings.add(object.source() + ": " + object.ref() + ": " + message);
    }

    List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** @throws ManifestException listing every problem, when there is one */
    void throwIfAny() {
        if (!problems.isEmpty()) {
            throw new ManifestException(problems);
        }
    }
}
