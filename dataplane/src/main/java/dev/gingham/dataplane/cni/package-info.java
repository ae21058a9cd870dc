/**
 * The {@code gingham-cni} plugin (CNI spec 1.0.0) and the daemon's side of it.
 *
 * <p>Plugin side (runs in a short-lived process the container runtime starts; kept to the JDK,
 * Jackson and this package so the JVM starts fast): {@link dev.gingham.dataplane.cni.CniMain},
 * {@link dev.gingham.dataplane.cni.CniPlugin}, {@link dev.gingham.dataplane.cni.CniEnvironment},
 * {@link dev.gingham.dataplane.cni.NetworkConfig}, {@link dev.gingham.dataplane.cni.DaemonClient}.
 *
 * <p>Daemon side (the control thread): {@link dev.gingham.dataplane.cni.CniService} owns the
 * attachments, {@link dev.gingham.dataplane.cni.HostLocalIpam} the addresses,
 * {@link dev.gingham.dataplane.cni.AttachmentMerge} turns attachments into Pods of the manifest
 * set the node applies. The two sides speak the records of {@link dev.gingham.dataplane.cni.CniWire}.
 */
package dev.gingham.dataplane.cni;
