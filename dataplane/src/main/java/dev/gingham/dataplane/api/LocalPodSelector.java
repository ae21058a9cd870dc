package dev.gingham.dataplane.api;

import dev.gingham.dataplane.cluster.LocalPod;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * How a request names a local pod ({@code pod=}): "namespace/name", or a bare name when it is
 * unique on the node (as {@code ConfiguredNode.port} reads port names).
 */
final class LocalPodSelector {
    private LocalPodSelector() {
    }

    /**
     * Returns: every local pod, sorted, when {@code pod} is null; otherwise the one it names.
     *
     * @throws ApiException 404 when no local pod has that name, 400 when a bare name is in several namespaces
     */
    static List<LocalPod> select(Collection<LocalPod> locals, String pod) {
        List<LocalPod> chosen = new ArrayList<>();
        for (LocalPod local : locals) {
            if (pod == null || local.key().equals(pod) || local.pod().name().equals(pod)) {
                chosen.add(local);
            }
        }
        if (pod != null && chosen.isEmpty()) {
            throw ApiException.notFound("no local pod '" + pod + "' on this node (give namespace/name or a name)");
        }
        if (pod != null && chosen.size() > 1) {
            throw ApiException.badRequest("pod name '" + pod + "' is in several namespaces: give namespace/name");
        }
        chosen.sort(Comparator.comparing(LocalPod::key));
        return chosen;
    }
}
