package dev.gingham.maps;

/** The flags of {@code update}, with the values of BPF_ANY, BPF_NOEXIST and BPF_EXIST. */
public final class UpdateFlags {
    /** Create the entry or replace its value. */
    public static final int ANY = 0;
    /** Create the entry; fail with {@link MapErrors#EEXIST} when the key exists. */
    public static final int NOEXIST = 1;
    /** Replace the value; fail with {@link MapErrors#ENOENT} when the key is absent. */
    public static final int EXIST = 2;

    private UpdateFlags() {
    }

    /** Returns: true when flags is one of ANY, NOEXIST, EXIST. */
    public static boolean valid(int flags) {
        return flags == ANY || flags == NOEXIST || flags == EXIST;
    }
}
