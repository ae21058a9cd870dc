/**
 * TAP devices and their link configuration through java.lang.foreign (no JNI, no JNA, no
 * {@code ip} commands): {@link dev.gingham.tap.TapDevice} and its {@link dev.gingham.tap.TapQueue}s
 * move frames between the kernel and {@code BufferPool} buffers without copying;
 * {@link dev.gingham.tap.Rtnetlink} configures links, addresses, routes and neighbours;
 * {@link dev.gingham.tap.NetworkNamespace} is the one place that enters other network
 * namespaces; {@link dev.gingham.tap.PodInterface} sets up a pod's interface. Depends on
 * {@code packet} only. See docs/architecture.md, section tap-driver.
 */
package dev.gingham.tap;
