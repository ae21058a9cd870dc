package dev.gingham.dataplane.identity;

import dev.gingham.packet.Cidr;

/**
 * Where CIDR identities go so the packet path can find them: the ipcache (prefix &rarr;
 * identity, longest prefix wins). The daemon implements this over the encap module's
 * {@code IpCache}; tests implement it over a {@code maps.LpmTrie}. Kept to two calls so this
 * package does not depend on how the ipcache stores entries.
 */
public interface PrefixIdentitySink {
    /**
     * Installs or replaces {@code prefix} &rarr; {@code identity}.
     *
     * @return 0, or a negative {@code MapErrors} code (a full ipcache: {@code E2BIG}/{@code ENOSPC})
     */
    int upsert(Cidr prefix, int identity);

    /**
     * Removes {@code prefix}.
     *
     * @return 0, or a negative {@code MapErrors} code ({@code ENOENT} when it was not installed)
     */
    int remove(Cidr prefix);
}
