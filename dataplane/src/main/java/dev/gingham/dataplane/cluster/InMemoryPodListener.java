package dev.gingham.dataplane.cluster;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link LocalPodListener} that only remembers: the pods it holds and every call it got, in
 * order ("added shop/web-1", "changed shop/web-1", "removed shop/web-1"). For tests and replay,
 * where no interfaces are created; {@link #failOn} makes calls for one pod throw, to exercise
 * failure handling.
 */
public final class InMemoryPodListener implements LocalPodListener {
    private final Map<String, LocalPod> pods = new LinkedHashMap<>();
    private final List<String> calls = new ArrayList<>();
    private Set<String> failing = Set.of();

    @Override
    public void podAdded(LocalPod pod) {
        calls.add("added " + pod.key());
        fail(pod);
        pods.put(pod.key(), pod);
    }

    @Override
    public void podChanged(LocalPod before, LocalPod after) {
        calls.add("changed " + after.key());
        fail(after);
        pods.put(after.key(), after);
    }

    @Override
    public void podRemoved(LocalPod pod) {
        calls.add("removed " + pod.key());
        pods.remove(pod.key());
    }

    /** Makes calls for these pods ("namespace/name") throw until changed again. */
    public void failOn(Set<String> podKeys) {
        failing = Set.copyOf(podKeys);
    }

    private void fail(LocalPod pod) {
        if (failing.contains(pod.key())) {
            throw new IllegalStateException("cannot set up " + pod.key() + " (test failure)");
        }
    }

    /** Returns: the pods set up now, by "namespace/name". */
    public Map<String, LocalPod> pods() {
        return Map.copyOf(pods);
    }

    /** Returns: every call so far, in order, and forgets them. */
    public List<String> takeCalls() {
        List<String> taken = List.copyOf(calls);
        calls.clear();
        return taken;
    }
}
