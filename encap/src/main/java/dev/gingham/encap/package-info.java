/**
 * VXLAN, IPIP and Geneve encapsulation and decapsulation, tunnel endpoints and MTU policy. (Overlay issue.)
 *
 * <p>This module holds only its package declaration until its issue starts; see docs/architecture.md.
 */
package dev.gingham.encap;
