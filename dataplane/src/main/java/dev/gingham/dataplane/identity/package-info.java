/**
 * Security identities: Cilium's reserved numbers, pod label sets ({@code SecurityLabels}) to
 * numbers from 256 ({@code IdentityAllocator}), and node-local CIDR identities for ipBlock
 * prefixes ({@code CidrIdentityAllocator}) installed into the ipcache through a
 * {@code PrefixIdentitySink}.
 */
package dev.gingham.dataplane.identity;
