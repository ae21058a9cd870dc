package dev.gingham.dataplane.config;

/**
 * How worker and control agents are mapped onto threads (DESIGN.md §4).
 */
public enum ThreadingMode {
    /** Every agent on one thread, taking turns: tests, replay and laptops (one core, deterministic order). */
    SHARED("shared"),
    /** One thread per worker and one for the control agent: production, where workers poll their own ports. */
    DEDICATED("dedicated");

    private final String spelling;

    ThreadingMode(String spelling) {
        this.spelling = spelling;
    }

    /** Returns: the configuration file's spelling. */
    public String spelling() {
        return spelling;
    }
}
