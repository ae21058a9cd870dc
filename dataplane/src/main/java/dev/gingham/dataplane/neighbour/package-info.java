/**
 * Underlay neighbour resolution: the MAC addresses of the node's next hops on the underlay (peer
 * nodes, the underlay gateway), learned from ARP the workers see and asked for with ARP requests
 * the control agent sends, so nobody configures peers' MACs by hand.
 */
package dev.gingham.dataplane.neighbour;
