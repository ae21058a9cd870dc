/**
 * Cluster state from a manifests directory to the data path's maps: {@code ManifestSet} (a
 * validated snapshot of the directory), the translators ({@code ServiceTranslator},
 * {@code NodeTranslator}, {@code EgressTranslator}, {@code LocalPods}), {@code ClusterApplier}
 * (atomic apply against the previous set, and the {@code LocalPodListener} the daemon implements)
 * and {@code ManifestWatcher} (hot reload).
 */
package dev.gingham.dataplane.cluster;
