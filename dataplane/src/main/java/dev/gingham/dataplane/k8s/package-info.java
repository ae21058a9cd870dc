/**
 * Kubernetes objects as NetworkPolicy sees them, as immutable records ({@code Namespace},
 * {@code Pod}, {@code NetworkPolicy} and its rules, peers, ports and label selectors), and
 * {@code NetworkPolicyYaml}, which reads networking.k8s.io/v1 manifests into them with errors
 * naming the field.
 */
package dev.gingham.dataplane.k8s;
