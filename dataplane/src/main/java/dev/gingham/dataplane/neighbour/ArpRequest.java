package dev.gingham.dataplane.neighbour;

import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.header.ArpHeader;
import dev.gingham.packet.header.EthernetHeader;

import java.lang.foreign.MemorySegment;

/**
 * Writes the ARP request the node sends for a next hop: "who has {@code target}? tell
 * {@code sender}" (RFC 826), from the underlay MAC. Broadcast while the target's MAC is unknown;
 * unicast to the MAC it had when an entry is being refreshed, as Linux probes a STALE entry
 * (a refresh must not wake every host on the link).
 *
 * <pre>
 *  Ethernet  dst ff:ff:ff:ff:ff:ff or the known MAC | src underlay MAC | 0x0806
 *  ARP       htype 1, ptype 0x0800, hlen 6, plen 4, oper 1 (request),
 *            sha underlay MAC, spa node address, tha 00:00:00:00:00:00, tpa target
 * </pre>
 * The frame is 42 bytes; the NIC (or veth) pads it to the 60-byte minimum on the wire.
 */
public final class ArpRequest {
    /** Bytes of a request: Ethernet header and ARP body, no padding. */
    public static final int LENGTH_BYTES = EthernetHeader.LENGTH + ArpHeader.LENGTH;
    private static final long BROADCAST_MAC = 0xFFFF_FFFF_FFFFL;

    private ArpRequest() {
    }

    /**
     * Writes the request at {@code offset} of {@code s}.
     *
     * @param knownMac the target's MAC when refreshing it (unicast), 0 to broadcast
     * @return {@link #LENGTH_BYTES}
     */
    public static int write(MemorySegment s, long offset, long senderMac, int senderAddress, long knownMac, int targetAddress) {
        EthernetHeader.macs(s, offset, knownMac != 0 ? knownMac : BROADCAST_MAC, senderMac);
        NetworkOrder.u16(s, offset + EthernetHeader.ETHER_TYPE_OFFSET, EthernetHeader.ETHER_TYPE_ARP);
        long arp = offset + EthernetHeader.LENGTH;
        NetworkOrder.u16(s, arp + ArpHeader.HTYPE_OFFSET, ArpHeader.HTYPE_ETHERNET);
        NetworkOrder.u16(s, arp + ArpHeader.PTYPE_OFFSET, ArpHeader.PTYPE_IPV4);
        NetworkOrder.u8(s, arp + ArpHeader.HLEN_OFFSET, ArpHeader.HLEN_ETHERNET);
        NetworkOrder.u8(s, arp + ArpHeader.PLEN_OFFSET, ArpHeader.PLEN_IPV4);
        NetworkOrder.u16(s, arp + ArpHeader.OPER_OFFSET, ArpHeader.OPER_REQUEST);
        EthernetHeader.mac(s, arp + ArpHeader.SHA_OFFSET, senderMac);
        NetworkOrder.u32(s, arp + ArpHeader.SPA_OFFSET, senderAddress);
        EthernetHeader.mac(s, arp + ArpHeader.THA_OFFSET, 0);
        NetworkOrder.u32(s, arp + ArpHeader.TPA_OFFSET, targetAddress);
        return LENGTH_BYTES;
    }
}
