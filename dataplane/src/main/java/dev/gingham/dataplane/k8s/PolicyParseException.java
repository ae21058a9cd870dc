package dev.gingham.dataplane.k8s;

/**
 * A NetworkPolicy manifest that cannot be applied, with the source, the document and the field
 * path in its message ("policies.yaml: document 2 (NetworkPolicy shop/api):
 * spec.ingress[0].ports[1].endPort: 79 is below port 80"), so a user can find the line to fix.
 */
public final class PolicyParseException extends RuntimeException {
    private final String fieldPath;

    public PolicyParseException(String message, String fieldPath, Throwable cause) {
        super(message, cause);
        this.fieldPath = fieldPath;
    }

    /** Returns: the path of the offending field ("spec.ingress[0].from[1].ipBlock.cidr"), or "" for the document as a whole. */
    public String fieldPath() {
        return fieldPath;
    }
}
