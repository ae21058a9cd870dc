package dev.gingham.dataplane.cluster;

import dev.gingham.dataplane.k8s.ManifestException;

import java.io.IOException;

/**
 * Where a node's cluster state comes from: a manifests directory ({@link ManifestWatcher}) or a
 * Kubernetes API server ({@code kubeapi.KubeApiSource}). Either way the unit is a whole
 * {@link ManifestSet}, so both sources get the same validation (every object, and the objects
 * against each other) and the same atomic apply ({@link ClusterApplier} diffs the new set against
 * the one in force; a rejected set leaves the previous state).
 *
 * <p>Life cycle: {@link #initial()} once, before any device exists (a bad directory or an
 * unreachable API server stops the start there); then {@link #start(Listener)}; the control
 * thread takes each newer set with {@link #poll()}; {@link #close()} stops the source's threads.
 */
public interface ClusterSource extends AutoCloseable {
    /** What a source reports; called on the source's own thread. */
    interface Listener {
        /** A valid set that differs from the previous one was published for {@link #poll()}. */
        void loaded(ManifestSet set);

        /** The source's contents are invalid; nothing was published and the previous set stays. */
        void rejected(ManifestException problems);
    }

    /**
     * Reads the whole cluster state now, on the caller's thread (bounded in time); later
     * publications are changes relative to it.
     *
     * @throws ManifestException     the state is invalid (every problem, naming file or object and field)
     * @throws IllegalStateException the source cannot be read at all (unreachable API server, unreadable directory)
     */
    ManifestSet initial();

    /**
     * Starts watching for changes; {@code listener} hears about every set published after {@link #initial()}.
     *
     * @throws IOException when the source cannot be watched
     */
    void start(Listener listener) throws IOException;

    /** Returns: the newest valid set published since the last call, or null; one atomic swap, never blocks. */
    ManifestSet poll();

    /** Returns: the source for log lines ("manifests directory /etc/gingham/manifests", "Kubernetes API https://..."). */
    String describe();

    /** Stops the source's threads and connections; idempotent, does not throw. */
    @Override
    void close();
}
