/**
 * The overlay: routes to other nodes ({@link dev.gingham.encap.IpCache},
 * {@link dev.gingham.encap.NodeRoutes}, {@link dev.gingham.encap.TunnelPeers}), local endpoints
 * ({@link dev.gingham.encap.EndpointMap}), VXLAN / Geneve / IPIP encapsulation or native routing
 * with MTU enforcement ({@link dev.gingham.encap.TunnelEncap}), decapsulation
 * ({@link dev.gingham.encap.TunnelDecap}) and delivery to pods ({@link dev.gingham.encap.LocalDelivery}).
 * See docs/architecture.md, section "encap".
 */
package dev.gingham.encap;
