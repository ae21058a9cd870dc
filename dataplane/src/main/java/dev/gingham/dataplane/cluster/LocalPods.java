package dev.gingham.dataplane.cluster;

import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.k8s.ManifestKind;
import dev.gingham.dataplane.k8s.ManifestObject;
import dev.gingham.dataplane.k8s.Pod;
import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.header.Addresses;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The pods of this node ({@code spec.nodeName} is the configuration's nodeName): checked against
 * the node configuration (each needs an address inside this node's pod CIDRs, since Gingham runs
 * no IPAM; network namespaces and MACs must be distinct) and given endpoint slots that stay the
 * same while the pod exists.
 */
public final class LocalPods {
    /** The MAC prefix Kubernetes network plugins derive pod MACs under (locally administered, unicast). */
    static final long DERIVED_MAC_PREFIX = 0x0A58_0000_0000L;

    private LocalPods() {
    }

    /**
     * The local pods of a set.
     *
     * @param pods  in manifest order, identity 0
     * @param slots the slot of every local pod, by key
     */
    record Selection(List<LocalPod> pods, StableIds slots) {
    }

    /**
     * Returns: the local pods of {@code set} with fresh slots (for callers that keep no state).
     *
     * @throws dev.gingham.dataplane.k8s.ManifestException naming file, Pod and field
     */
    public static List<LocalPod> select(ManifestSet set, NodeConfig config) {
        return select(set, config, StableIds.range(0, config.maps().endpoints() - 1)).pods();
    }

    static Selection select(ManifestSet set, NodeConfig config, StableIds previous) {
        Findings findings = new Findings();
        List<ManifestObject> locals = set.objects(ManifestKind.POD).stream()
                .filter(o -> o.as(Pod.class).nodeName().equals(config.nodeName()))
                .toList();
        if (locals.size() > config.maps().endpoints()) {
            findings.error(set.origin(), locals.size() + " pods on this node exceed maps.endpoints " + config.maps().endpoints()
                    + " of the node configuration");
            findings.throwIfAny();
        }
        Map<String, ManifestObject> netns = new HashMap<>();
        Map<Long, ManifestObject> macs = new HashMap<>();
        for (ManifestObject object : locals) {
            Pod pod = object.as(Pod.class);
            if (pod.ips().isEmpty()) {
                findings.error(object, "status.podIP", "is required for a pod on this node (" + config.nodeName()
                        + "): Gingham runs no IPAM; write an address from podCIDRs " + config.podCidrs());
                continue;
            }
            for (int i = 0; i < pod.ips().size(); i++) {
                IpAddress ip = pod.ips().get(i);
                String field = i == 0 ? "status.podIP" : "status.podIPs[" + i + "].ip";
                Cidr cidr = config.podCidrs().stream().filter(c -> c.ipv4() == ip.ipv4()).findFirst().orElse(null);
                if (cidr == null || !cidr.contains(ip.hi(), ip.lo())) {
                    findings.error(object, field, ip + " is not inside this node's podCIDRs " + config.podCidrs());
                } else if (config.gateway().addresses().contains(ip)) {
                    findings.error(object, field, ip + " is the pods' gateway address on this node");
                } else if (ip.equals(new IpAddress(cidr.hi(), cidr.lo()))) {
                    findings.error(object, field, ip + " is the network address of " + cidr);
                }
            }
            ManifestObject other = netns.putIfAbsent(pod.netns(), object);
            if (other != null) {
                findings.error(object, "metadata.annotations[" + Pod.NETNS_ANNOTATION + "]", "network namespace '" + pod.netns()
                        + "' is also " + other.ref() + "'s");
            }
            long mac = mac(pod);
            other = macs.putIfAbsent(mac, object);
            if (other != null) {
                findings.error(object, "metadata.annotations[" + Pod.MAC_ANNOTATION + "]", Addresses.formatMac(mac)
                        + " is also the MAC of " + other.ref());
            } else if (mac == config.gateway().mac()) {
                findings.error(object, "metadata.annotations[" + Pod.MAC_ANNOTATION + "]", Addresses.formatMac(mac)
                        + " is the gateway MAC of this node");
            }
        }
        findings.throwIfAny();
        StableIds slots = previous.assign(locals.stream().map(o -> o.ref().namespace() + "/" + o.ref().name()).toList());
        List<LocalPod> pods = new ArrayList<>();
        for (ManifestObject object : locals) {
            Pod pod = object.as(Pod.class);
            pods.add(new LocalPod(pod, slots.id(pod.key()), mac(pod), 0));
        }
        return new Selection(pods, slots);
    }

    /** Returns: the pod's MAC: its annotation, or 0a:58 and the low four bytes of its first address. */
    static long mac(Pod pod) {
        if (pod.mac() != 0) {
            return pod.mac();
        }
        IpAddress ip = pod.ip();
        return DERIVED_MAC_PREFIX | (ip.ipv4() ? Integer.toUnsignedLong(ip.v4()) : ip.lo() & 0xFFFF_FFFFL);
    }
}
