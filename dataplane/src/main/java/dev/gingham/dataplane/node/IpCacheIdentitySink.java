package dev.gingham.dataplane.node;

import dev.gingham.dataplane.identity.PrefixIdentitySink;
import dev.gingham.encap.IpCache;
import dev.gingham.maps.MapErrors;
import dev.gingham.packet.Cidr;

/**
 * Puts the CIDR identities of policies' ipBlocks into the node's ipcache. A prefix that is
 * already a route to another node (a pod CIDR, with its tunnel endpoint) keeps its route: the
 * ipBlock then selects those pods by their own /32 identities, never by turning a pod CIDR into
 * an outside address. Control agent only.
 */
final class IpCacheIdentitySink implements PrefixIdentitySink {
    private final IpCache ipCache;

    IpCacheIdentitySink(IpCache ipCache) {
        this.ipCache = ipCache;
    }

    @Override
    public int upsert(Cidr prefix, int identity) {
        long existing = ipCache.lookupExact(prefix);
        if (existing != IpCache.MISSING && (ipCache.flags(existing) & IpCache.FLAG_TUNNEL) != 0) {
            return MapErrors.OK;
        }
        return ipCache.upsert(prefix, identity, 0, 0, 0);
    }

    @Override
    public int remove(Cidr prefix) {
        long existing = ipCache.lookupExact(prefix);
        if (existing != IpCache.MISSING && (ipCache.flags(existing) & IpCache.FLAG_TUNNEL) != 0) {
            return MapErrors.OK;
        }
        int result = ipCache.remove(prefix);
        ipCache.reclaim();
        return result;
    }
}
