package dev.gingham.dataplane.cni;

/**
 * The {@code gingham-cni} executable's entry point: a container runtime runs it with CNI_* in the
 * environment and the network configuration on stdin ({@link CniPlugin}); the exit status is 0 on
 * success and 1 after an error result on stdout. Kept apart from the {@code gingham} command line
 * (picocli, Netty) so a CNI call loads only what it uses.
 */
public final class CniMain {
    private CniMain() {
    }

    public static void main(String[] args) {
        System.exit(new CniPlugin().run(System.getenv(), System.in, System.out));
    }
}
