package dev.gingham.dataplane.k8s;

import java.util.function.Function;

/** The one way API enums are read from their exact, case-sensitive manifest spellings. */
final class Spellings {
    private Spellings() {
    }

    /**
     * @param expected the accepted spellings, for the error ("TCP, UDP or SCTP")
     * @throws IllegalArgumentException naming {@code text} and what was expected
     */
    static <E extends Enum<E>> E parse(E[] values, Function<E, String> spelling, String text, String expected) {
        for (E value : values) {
            if (spelling.apply(value).equals(text)) {
                return value;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not " + expected);
    }
}
