/**
 * The Kubernetes API server as a {@code ClusterSource} ({@code gingham run --kubeconfig}):
 * {@code KubeApiSource} keeps fabric8 informer caches of the kinds Gingham reads and turns them,
 * a debounced burst at a time, into one validated {@code ManifestSet} ({@code ApiObjectFiles}:
 * one trimmed pseudo-file per object), applied atomically like a manifests directory.
 */
package dev.gingham.dataplane.kubeapi;
