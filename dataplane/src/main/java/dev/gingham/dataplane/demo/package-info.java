/**
 * {@code gingham demo}: a one-node cluster in network namespaces, built, shown with real tools and
 * removed again; the same cluster serves the daemon's end-to-end tests.
 */
package dev.gingham.dataplane.demo;
