package dev.gingham.dataplane.cluster;

/**
 * What the daemon does when pods on this node come, change and go: create the pod's TAP device in
 * its network namespace, fill the endpoint map, and undo it. {@link ClusterApplier} calls it on
 * the control thread after the maps of a reload are written (so a new pod's policy, services and
 * routes are in place before its interface comes up), removals first.
 *
 * <p>A call that throws is reported in the {@link ApplyReport} and does not undo the reload; a pod
 * whose {@code podAdded} or {@code podChanged} failed is offered again by {@code podAdded} on the
 * next apply, so {@code podAdded} must create or replace.
 */
public interface LocalPodListener {
    /** A pod was scheduled to this node (or its earlier setup failed). */
    void podAdded(LocalPod pod);

    /**
     * A local pod changed (labels and identity, addresses, MAC, namespace or slot). The default
     * removes and adds it again; a listener may do less for a label-only change.
     */
    default void podChanged(LocalPod before, LocalPod after) {
        podRemoved(before);
        podAdded(after);
    }

    /** A local pod is gone (deleted, or rescheduled elsewhere). */
    void podRemoved(LocalPod pod);
}
