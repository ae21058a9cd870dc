package dev.gingham.dataplane.node;

/**
 * Capacities of the node's maps that no library configuration already carries (conntrack, SNAT
 * and services size themselves from {@code CtConfig}, {@code SnatConfig}, {@code LbConfig}).
 *
 * @param maxEndpoints   local pods; port numbers (a pod's port is its policy endpoint slot) stay
 *                       below {@link #maxPorts()} = maxEndpoints + 2 (the underlay and host ports)
 * @param ipCacheEntries prefixes in the ipcache: pod CIDRs, every pod's /32, ipBlocks
 * @param maxNodes       other nodes of the cluster
 * @param policyRows     compiled policy rows (all endpoints, both banks)
 * @param policyPortSets distinct port sets of compiled policies
 * @param flowRecords    flow-event ring size per worker (a power of two)
 * @param egressSources  pods an egress gateway policy may select
 * @param egressRules    (class, destination CIDR) rules of egress gateway policies
 */
public record NodeSizes(int maxEndpoints, int ipCacheEntries, int maxNodes, int policyRows, int policyPortSets,
                        int flowRecords, int egressSources, int egressRules) {
    public NodeSizes {
        check("maxEndpoints", maxEndpoints);
        check("ipCacheEntries", ipCacheEntries);
        check("maxNodes", maxNodes);
        check("policyRows", policyRows);
        check("policyPortSets", policyPortSets);
        check("egressSources", egressSources);
        check("egressRules", egressRules);
        if (flowRecords < 2 || Integer.bitCount(flowRecords) != 1) {
            throw new IllegalArgumentException("flowRecords: must be a power of two >= 2, got " + flowRecords);
        }
    }

    /** Returns: the number of ports (pods plus the underlay and host ports); every port number is below it. */
    public int maxPorts() {
        return maxEndpoints + 2;
    }

    private static void check(String field, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(field + ": must be positive, got " + value);
        }
    }

}
