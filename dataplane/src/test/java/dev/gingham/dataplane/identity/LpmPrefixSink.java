package dev.gingham.dataplane.identity;

import dev.gingham.maps.LpmTrie;
import dev.gingham.maps.MapErrors;
import dev.gingham.maps.MapSpec;
import dev.gingham.maps.UpdateFlags;
import dev.gingham.packet.Cidr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A test ipcache: CIDR identities in two LPM tries (IPv4, IPv6), as the daemon's IpCache will hold them. */
public final class LpmPrefixSink implements PrefixIdentitySink, AutoCloseable {
    private final LpmTrie v4;
    private final LpmTrie v6;
    private final MemorySegment value = Arena.ofAuto().allocate(4, 4);

    public LpmPrefixSink(int maxPrefixes) {
        v4 = LpmTrie.create(MapSpec.lpmTrie("test-ipcache4", 4, 4, maxPrefixes));
        v6 = LpmTrie.create(MapSpec.lpmTrie("test-ipcache6", 16, 4, maxPrefixes));
    }

    @Override
    public int upsert(Cidr prefix, int identity) {
        value.set(ValueLayout.JAVA_INT, 0, identity);
        return prefix.ipv4()
                ? v4.update4(prefix.v4(), prefix.prefixLength(), value, 0, UpdateFlags.ANY)
                : v6.update6(prefix.hi(), prefix.lo(), prefix.prefixLength(), value, 0, UpdateFlags.ANY);
    }

    @Override
    public int remove(Cidr prefix) {
        int result = prefix.ipv4() ? v4.delete4(prefix.v4(), prefix.prefixLength()) : v6.delete6(prefix.hi(), prefix.lo(), prefix.prefixLength());
        v4.reclaim();
        v6.reclaim();
        return result;
    }

    /** Returns: the identity of the longest prefix holding the IPv4 address, or 0. */
    public int lookup4(int address) {
        long offset = v4.lookup4(address);
        return offset == MapErrors.MISSING ? 0 : v4.segment().get(ValueLayout.JAVA_INT_UNALIGNED, offset);
    }

    public int count() {
        return v4.count() + v6.count();
    }

    @Override
    public void close() {
        v4.close();
        v6.close();
    }
}
