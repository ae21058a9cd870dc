package dev.gingham.dataplane.program;

import dev.gingham.dataplane.neighbour.NeighbourObservations;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.header.ArpHeader;
import dev.gingham.packet.header.EthernetHeader;

import java.lang.foreign.MemorySegment;

/**
 * Answers ARP requests in place (Cilium's ARP responder in bpf_lxc, and the node's own addresses
 * on the wire). The request becomes the reply in its own buffer and goes back out of its ingress
 * port; nothing is allocated and no ARP state is kept.
 *
 * <ul>
 *   <li>Pods and the host ({@link #processFromLink}): every address a pod asks for, other than
 *       its own, is answered with the gateway's MAC. Pods are routed, never bridged: whatever they
 *       want to reach, the next hop is the gateway (as Cilium answers with the router MAC). An
 *       address probe (sender 0.0.0.0) or a gratuitous announcement (target = sender) is not
 *       answered, or the pod would see its own address in use: {@link DropReason#UNKNOWN_TARGET}.</li>
 *   <li>The underlay ({@link #processFromUnderlay}): only the node's addresses are answered, with
 *       the underlay MAC; other targets are someone else's ({@link DropReason#UNKNOWN_TARGET}).
 *       The underlay is also where the node learns its neighbours, as Linux's ARP does: the sender
 *       of a request for a node address, of a reply to a node address (then consumed:
 *       {@link DropReason#ARP_REPLY_LEARNED}) and of a gratuitous announcement (sender = target)
 *       is handed to the control agent ({@link NeighbourObservations}), which keeps it only for
 *       the next hops it is resolving.</li>
 * </ul>
 * Other replies and operations are {@link DropReason#ARP_UNEXPECTED}: the node asks nothing of
 * pods and the host. Non-ARP frames are left alone.
 */
public final class ArpResponder {
    private final long routerMac;
    private final long underlayMac;
    private final NeighbourObservations neighbours;
    private volatile int[] nodeAddresses;

    /**
     * @param routerMac     the pods' gateway MAC (answers on pod and host ports)
     * @param underlayMac   the node's MAC on the underlay
     * @param nodeAddresses the IPv4 addresses answered on the underlay
     * @param neighbours    where senders seen on the underlay are reported, or null to learn nothing
     */
    public ArpResponder(long routerMac, long underlayMac, int[] nodeAddresses, NeighbourObservations neighbours) {
        this.routerMac = routerMac;
        this.underlayMac = underlayMac;
        this.nodeAddresses = nodeAddresses.clone();
        this.neighbours = neighbours;
    }

    /** Replaces the addresses answered on the underlay (the control agent adds egress and LoadBalancer IPs). */
    public void nodeAddresses(int[] addresses) {
        this.nodeAddresses = addresses.clone();
    }

    /**
     * Answers ARP from a pod or the host port.
     *
     * @return the number of requests answered
     */
    public int processFromLink(FrameVector v) {
        MemorySegment s = v.segment();
        int answered = 0;
        for (int i = 0, n = v.count(); i < n; i++) {
            if (v.verdict(i) != Verdict.CONTINUE || !v.hasFlag(i, FrameVector.FLAG_ARP)) {
                continue;
            }
            long arp = v.l3Offset(i);
            int sender = NetworkOrder.u32(s, arp + ArpHeader.SPA_OFFSET);
            int target = NetworkOrder.u32(s, arp + ArpHeader.TPA_OFFSET);
            if (NetworkOrder.u16(s, arp + ArpHeader.OPER_OFFSET) != ArpHeader.OPER_REQUEST) {
                v.drop(i, DropReason.ARP_UNEXPECTED);
            } else if (sender == 0 || sender == target) {
                v.drop(i, DropReason.UNKNOWN_TARGET);
            } else {
                reply(v, s, i, routerMac);
                answered++;
            }
        }
        return answered;
    }

    /**
     * Answers ARP from the underlay for the node's addresses and learns the senders of requests
     * and replies to them (and of gratuitous ARP).
     *
     * @return the number of requests answered
     */
    public int processFromUnderlay(FrameVector v) {
        MemorySegment s = v.segment();
        int[] ours = nodeAddresses;
        int answered = 0;
        for (int i = 0, n = v.count(); i < n; i++) {
            // a frame out of a tunnel is not the underlay link's: the inner network's ARP is not ours to answer
            if (v.verdict(i) != Verdict.CONTINUE
                    || (v.flags(i) & (FrameVector.FLAG_ARP | FrameVector.FLAG_DECAPSULATED)) != FrameVector.FLAG_ARP) {
                continue;
            }
            long arp = v.l3Offset(i);
            int operation = NetworkOrder.u16(s, arp + ArpHeader.OPER_OFFSET);
            int sender = NetworkOrder.u32(s, arp + ArpHeader.SPA_OFFSET);
            int target = NetworkOrder.u32(s, arp + ArpHeader.TPA_OFFSET);
            boolean forUs = PipelineConfig.contains(ours, target);
            boolean gratuitous = sender == target;
            if ((operation == ArpHeader.OPER_REQUEST || operation == ArpHeader.OPER_REPLY) && (forUs || gratuitous)) {
                learn(s, arp, sender);
            }
            if (operation == ArpHeader.OPER_REPLY && (forUs || gratuitous)) {
                v.drop(i, DropReason.ARP_REPLY_LEARNED);
            } else if (operation != ArpHeader.OPER_REQUEST) {
                v.drop(i, DropReason.ARP_UNEXPECTED);
            } else if (!forUs) {
                v.drop(i, DropReason.UNKNOWN_TARGET);
            } else {
                reply(v, s, i, underlayMac);
                answered++;
            }
        }
        return answered;
    }

    /** Reports "sender is at its sender hardware address", unless either is no address a next hop can have. */
    private void learn(MemorySegment s, long arp, int sender) {
        long mac = EthernetHeader.mac(s, arp + ArpHeader.SHA_OFFSET);
        boolean unicastMac = mac != 0 && ((mac >>> 40) & 1) == 0;
        if (neighbours != null && sender != 0 && unicastMac) {
            neighbours.offer(sender, mac);
        }
    }

    /** Turns the request into its reply in place: "target is at {@code mac}", back to the asker. */
    private static void reply(FrameVector v, MemorySegment s, int i, long mac) {
        long arp = v.l3Offset(i);
        long askerMac = EthernetHeader.mac(s, arp + ArpHeader.SHA_OFFSET);
        int asker = NetworkOrder.u32(s, arp + ArpHeader.SPA_OFFSET);
        int target = NetworkOrder.u32(s, arp + ArpHeader.TPA_OFFSET);
        EthernetHeader.macs(s, v.start(i), askerMac, mac);
        NetworkOrder.u16(s, arp + ArpHeader.OPER_OFFSET, ArpHeader.OPER_REPLY);
        EthernetHeader.mac(s, arp + ArpHeader.SHA_OFFSET, mac);
        NetworkOrder.u32(s, arp + ArpHeader.SPA_OFFSET, target);
        EthernetHeader.mac(s, arp + ArpHeader.THA_OFFSET, askerMac);
        NetworkOrder.u32(s, arp + ArpHeader.TPA_OFFSET, asker);
        v.verdict(i, Verdict.tx(v.ingressPort(i)));
    }
}
