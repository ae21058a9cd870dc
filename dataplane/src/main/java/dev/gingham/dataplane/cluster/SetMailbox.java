package dev.gingham.dataplane.cluster;

import dev.gingham.dataplane.k8s.ManifestException;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The publishing half every {@link ClusterSource} shares: remembers the fingerprint of what was
 * last published or reported, puts a changed valid set into a single-slot mailbox (the control
 * thread swaps it out with {@link #poll()}: no lock, never blocks, an older unapplied set is simply
 * replaced) and tells the listener; reports the same invalid contents once, not on every rescan.
 *
 * <p>Callers serialize {@link #unchanged}, {@link #publish} and {@link #reject} (one source thread,
 * or a lock); {@link #poll()} may run on any thread.
 */
public final class SetMailbox {
    private final AtomicReference<ManifestSet> mailbox = new AtomicReference<>();
    private volatile ClusterSource.Listener listener;
    private String lastFingerprint;

    /** @param listener told about publications and rejections; may be set later with {@link #listener} */
    public SetMailbox(ClusterSource.Listener listener) {
        this.listener = listener;
    }

    /** Sets the listener (a source started after its initial set was read). */
    public void listener(ClusterSource.Listener newListener) {
        listener = newListener;
    }

    /** Returns: whether {@code fingerprint} is what was last published or reported (nothing to do). */
    public boolean unchanged(String fingerprint) {
        return fingerprint.equals(lastFingerprint);
    }

    /** Records {@code set} as the one in force without publishing it (the initial set, applied by the caller). */
    public void accepted(ManifestSet set) {
        lastFingerprint = set == null ? null : set.fingerprint();
    }

    /**
     * Publishes {@code set} unless its fingerprint is the last one.
     *
     * @return true when it was published
     */
    public boolean publish(ManifestSet set) {
        if (unchanged(set.fingerprint())) {
            return false;
        }
        lastFingerprint = set.fingerprint();
        mailbox.set(set);
        ClusterSource.Listener l = listener;
        if (l != null) {
            l.loaded(set);
        }
        return true;
    }

    /**
     * Reports invalid contents once per distinct {@code fingerprint}; publishes nothing.
     *
     * @return false (nothing was published), for callers that return it
     */
    public boolean reject(ManifestException problems, String fingerprint) {
        if (!unchanged(fingerprint)) {
            lastFingerprint = fingerprint;
            ClusterSource.Listener l = listener;
            if (l != null) {
                l.rejected(problems);
            }
        }
        return false;
    }

    /** Returns: the newest set published since the last call, or null. */
    public ManifestSet poll() {
        return mailbox.getAndSet(null);
    }
}
